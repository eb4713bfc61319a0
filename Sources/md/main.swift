import MDCommand

MDCommand.main()
