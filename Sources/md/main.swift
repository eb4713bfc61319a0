import MDCommand
import TensorCore

BLASKernels.ensureOptimized()
MDCommand.main()
