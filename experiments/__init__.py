"""Running civicloop: the command line, result files and (later) sweeps and analysis."""
