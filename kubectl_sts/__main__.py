from .cli.start import run

run()
