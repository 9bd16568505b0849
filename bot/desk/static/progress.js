// Live progress of an announcement: the status line and the bar follow the delivery every
// five seconds, without reloading the page (which would disturb screen readers).
(function () {
  "use strict";
  var status = document.getElementById("fortschritt");
  var bar = document.getElementById("fortschritt-balken");
  if (!status || !bar || status.getAttribute("data-pending") === "0") {
    return;
  }
  function update() {
    fetch(status.getAttribute("data-source"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) { return; }
        status.textContent = state.text;
        bar.value = state.delivered + state.failed;
        if (state.pending > 0) { window.setTimeout(update, 5000); }
      });
  }
  window.setTimeout(update, 5000);
}());
