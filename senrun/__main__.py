from senrun.cli import main

main()
