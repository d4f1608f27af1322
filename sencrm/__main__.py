from sencrm.cli import main

main()
