"""``python -m optimizer`` runs the xborder command line."""

from optimizer.cli.main import main

if __name__ == "__main__":
    main()
