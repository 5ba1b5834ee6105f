import ArgumentParser

NotifySweepCommand.main()
