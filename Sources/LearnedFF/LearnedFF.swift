// The trained network as a ForceProvider, model files and training data.
