// Trajectory analysis: superposition, RMSD, radius of gyration, bonded geometry, RDFs, reports.
