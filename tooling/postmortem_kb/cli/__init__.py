"""The command line: click commands that parse options, call the core and print."""
