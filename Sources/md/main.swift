import MDCommand
MDCommand.main()
