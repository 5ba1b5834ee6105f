import ArgumentParser

NotifyCtl.main()
