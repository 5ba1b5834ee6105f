"""One module per figure: each takes the run (context.Bench) and returns its results."""
