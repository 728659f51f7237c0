"""The ``t26`` command line: one typer module per subcommand (parse -> call the library -> render)."""
