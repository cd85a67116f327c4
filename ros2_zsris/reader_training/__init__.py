"""Training the command reader (issue 19): a generator of labelled robot commands with a broad
grammar, the development sets the project holds, and `spacy train` with the config beside this
file. `make train-commands` runs it; the result is shipped in ros2_zsris/embedded/command_reader.

Nothing here runs at inference time: the node only loads the trained pipeline
(core/language/reader.py)."""
