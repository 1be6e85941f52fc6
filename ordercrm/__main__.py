from ordercrm.cli import main

main()
