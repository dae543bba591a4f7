from certify.cli import run

run()
