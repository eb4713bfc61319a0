import MDCommand
import TensorCore

BLASKernels.ensureOptimized()
BLASThreads.useCallingThreadUnlessConfigured()
MDCommand.main()
