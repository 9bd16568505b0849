"""Domain objects and their rules; standard library only."""
