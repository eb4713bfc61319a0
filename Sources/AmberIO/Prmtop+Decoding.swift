import MDCore

extension Prmtop {
    public init(contentsOf path: String) throws {
        try self.init(PrmtopFile(contentsOf: path))
    }

    /// Decodes and cross-checks the sections: counts against POINTERS, atom and type indices in range,
    /// residue pointers ascending. Any inconsistency is an error naming the section.
    public init(_ file: PrmtopFile) throws {
        let s = SectionReader(file: file)
        let pointers = try s.integers("POINTERS")
        guard pointers.count >= 31 else {
            throw s.error("POINTERS", "expected at least 31 values, found \(pointers.count)")
        }
        guard pointers.allSatisfy({ $0 >= 0 }) else {
            throw s.error("POINTERS", "negative count \(pointers.first { $0 < 0 }!)")
        }
        let natom = pointers[0], ntypes = pointers[1]
        let (nbonh, mbona, ntheth, mtheta, nphih, mphia) = (pointers[2], pointers[3], pointers[4], pointers[5], pointers[6], pointers[7])
        let (nnb, nres) = (pointers[10], pointers[11])
        let (numbnd, numang, nptra) = (pointers[15], pointers[16], pointers[17])
        let nphb = pointers[19]
        let ifbox = pointers[27]
        guard natom > 0 else { throw s.error("POINTERS", "NATOM is 0") }

        path = file.path
        version = file.version
        title = (try? s.strings("TITLE", count: nil))?.joined(separator: " ")
            ?? (try? s.strings("CTITLE", count: nil))?.joined(separator: " ") ?? ""

        atomNames = try s.strings("ATOM_NAME", count: natom)
        charges = try s.reals("CHARGE", count: natom).map { $0 / Units.amberChargeScale }
        masses = try s.reals("MASS", count: natom)
        if let negative = masses.firstIndex(where: { $0 < 0 }) {
            throw s.error("MASS", "atom \(negative + 1) has negative mass \(masses[negative])")
        }
        if file["ATOMIC_NUMBER"] != nil {
            elements = try s.integers("ATOMIC_NUMBER", count: natom).map { Element(atomicNumber: max($0, 0)) }
            elementsFromFile = true
        } else {
            elements = masses.map { Element(guessingFromMass: $0) }
            elementsFromFile = false
        }
        amberAtomTypes = try s.strings("AMBER_ATOM_TYPE", count: natom)
        ljTypeCount = ntypes
        ljTypes = try s.indices("ATOM_TYPE_INDEX", count: natom, limit: ntypes, what: "Lennard-Jones type")

        residueNames = try s.strings("RESIDUE_LABEL", count: nres)
        residueStarts = try s.integers("RESIDUE_POINTER", count: nres).map { $0 - 1 }
        guard residueStarts.first == 0 else {
            throw s.error("RESIDUE_POINTER", "first residue must start at atom 1, starts at \(residueStarts.first.map { $0 + 1 } ?? 0)")
        }
        for r in 1..<max(residueStarts.count, 1) where residueStarts[r] <= residueStarts[r - 1] || residueStarts[r] >= natom {
            throw s.error("RESIDUE_POINTER", "residue \(r + 1) starts at atom \(residueStarts[r] + 1), which is not after residue \(r)'s start and within \(natom) atoms")
        }

        bondForceConstants = try s.reals("BOND_FORCE_CONSTANT", count: numbnd)
        bondEquilibriumLengths = try s.reals("BOND_EQUIL_VALUE", count: numbnd)
        angleForceConstants = try s.reals("ANGLE_FORCE_CONSTANT", count: numang)
        angleEquilibriumValues = try s.reals("ANGLE_EQUIL_VALUE", count: numang)
        dihedralForceConstants = try s.reals("DIHEDRAL_FORCE_CONSTANT", count: nptra)
        dihedralPeriodicities = try s.reals("DIHEDRAL_PERIODICITY", count: nptra)
        dihedralPhases = try s.reals("DIHEDRAL_PHASE", count: nptra)
        scee = file["SCEE_SCALE_FACTOR"] != nil ? try s.reals("SCEE_SCALE_FACTOR", count: nptra) : Array(repeating: 1.2, count: nptra)
        scnb = file["SCNB_SCALE_FACTOR"] != nil ? try s.reals("SCNB_SCALE_FACTOR", count: nptra) : Array(repeating: 2.0, count: nptra)
        for (flag, values) in [("SCEE_SCALE_FACTOR", scee), ("SCNB_SCALE_FACTOR", scnb)] {
            // 0 marks an unused type (e.g. impropers written by some tools); only real torsions divide by it.
            if let bad = values.firstIndex(where: { $0 < 0 }) {
                throw s.error(flag, "dihedral type \(bad + 1) has negative scale factor \(values[bad])")
            }
        }

        let terms = TermDecoder(reader: s, atomCount: natom)
        bonds = try terms.tuples("BONDS_INC_HYDROGEN", count: nbonh, width: 3, types: numbnd).map {
            Bond(i: $0.atoms[0], j: $0.atoms[1], type: $0.type, involvesHydrogen: true)
        } + terms.tuples("BONDS_WITHOUT_HYDROGEN", count: mbona, width: 3, types: numbnd).map {
            Bond(i: $0.atoms[0], j: $0.atoms[1], type: $0.type, involvesHydrogen: false)
        }
        angles = try terms.tuples("ANGLES_INC_HYDROGEN", count: ntheth, width: 4, types: numang).map {
            Angle(i: $0.atoms[0], j: $0.atoms[1], k: $0.atoms[2], type: $0.type, involvesHydrogen: true)
        } + terms.tuples("ANGLES_WITHOUT_HYDROGEN", count: mtheta, width: 4, types: numang).map {
            Angle(i: $0.atoms[0], j: $0.atoms[1], k: $0.atoms[2], type: $0.type, involvesHydrogen: false)
        }
        dihedrals = try terms.tuples("DIHEDRALS_INC_HYDROGEN", count: nphih, width: 5, types: nptra).map {
            Dihedral(i: $0.atoms[0], j: $0.atoms[1], k: $0.atoms[2], l: $0.atoms[3], type: $0.type,
                     involvesHydrogen: true, skipsOneFour: $0.negated[2], isImproper: $0.negated[3])
        } + terms.tuples("DIHEDRALS_WITHOUT_HYDROGEN", count: mphia, width: 5, types: nptra).map {
            Dihedral(i: $0.atoms[0], j: $0.atoms[1], k: $0.atoms[2], l: $0.atoms[3], type: $0.type,
                     involvesHydrogen: false, skipsOneFour: $0.negated[2], isImproper: $0.negated[3])
        }

        nonbondedParmIndex = try s.integers("NONBONDED_PARM_INDEX", count: ntypes * ntypes)
        let nttyp = ntypes * (ntypes + 1) / 2
        ljACoefficients = try s.reals("LENNARD_JONES_ACOEF", count: nttyp)
        ljBCoefficients = try s.reals("LENNARD_JONES_BCOEF", count: nttyp)
        hbondACoefficients = file["HBOND_ACOEF"] != nil ? try s.reals("HBOND_ACOEF", count: nphb) : []
        hbondBCoefficients = file["HBOND_BCOEF"] != nil ? try s.reals("HBOND_BCOEF", count: nphb) : []
        for (n, index) in nonbondedParmIndex.enumerated() where index == 0 || index > nttyp || -index > nphb {
            throw s.error("NONBONDED_PARM_INDEX", "entry \(n + 1) is \(index), outside the \(nttyp) LJ and \(nphb) H-bond coefficients")
        }

        let excludedCounts = try s.integers("NUMBER_EXCLUDED_ATOMS", count: natom)
        let excludedList = try s.integers("EXCLUDED_ATOMS_LIST", count: nnb)
        guard excludedCounts.reduce(0, +) == nnb, excludedCounts.allSatisfy({ $0 >= 0 }) else {
            throw s.error("NUMBER_EXCLUDED_ATOMS", "counts sum to \(excludedCounts.reduce(0, +)) but NNB (POINTERS) is \(nnb)")
        }
        var offset = 0
        exclusions = []
        exclusions.reserveCapacity(natom)
        for atom in 0..<natom {
            var partners: [Int] = []
            for entry in excludedList[offset..<offset + excludedCounts[atom]] where entry != 0 {
                guard entry >= 1 && entry <= natom else {
                    throw s.error("EXCLUDED_ATOMS_LIST", "atom \(atom + 1) excludes atom \(entry), outside 1…\(natom)")
                }
                partners.append(entry - 1)
            }
            exclusions.append(partners)
            offset += excludedCounts[atom]
        }

        boxKind = ifbox
        if ifbox > 0 {
            let dims = try s.reals("BOX_DIMENSIONS", count: 4)
            let beta = dims[0]
            // A prmtop stores one angle; AMBER boxes with one non-right angle are truncated octahedra.
            let angles = abs(beta - 90) < 1e-6 ? SIMD3(90.0, 90, 90) : SIMD3(repeating: beta)
            let box = Box(lengths: SIMD3(dims[1], dims[2], dims[3]), angles: angles)
            guard box.isValid else { throw s.error("BOX_DIMENSIONS", "\(dims) is not a valid cell") }
            self.box = box
            let sp = try s.integers("SOLVENT_POINTERS", count: 3)
            solventPointers = (sp[0], sp[1], sp[2])
            let apm = try s.integers("ATOMS_PER_MOLECULE", count: sp[1])
            guard apm.reduce(0, +) == natom else {
                throw s.error("ATOMS_PER_MOLECULE", "molecule sizes sum to \(apm.reduce(0, +)) atoms, but NATOM is \(natom)")
            }
            atomsPerMolecule = apm
        } else {
            box = nil
            solventPointers = nil
            atomsPerMolecule = nil
        }
        radii = file["RADII"] != nil ? try s.reals("RADII", count: natom) : nil
        screen = file["SCREEN"] != nil ? try s.reals("SCREEN", count: natom) : nil
        radiusSet = (try? s.strings("RADIUS_SET", count: nil))?.joined(separator: " ")
        extraPointCount = pointers[30]

        (cmaps, cmapGrids) = try Prmtop.decodeCMAP(s, atomCount: natom)
    }

    /// CMAP sections come as `CMAP_*` (tleap) or `CHARMM_CMAP_*` (chamber, ParmEd).
    private static func decodeCMAP(_ s: SectionReader, atomCount: Int) throws -> ([CMAP], [CMAPGrid]) {
        guard let prefix = ["CMAP_", "CHARMM_CMAP_"].first(where: { s.file[$0 + "COUNT"] != nil }) else {
            return ([], [])
        }
        let counts = try s.integers(prefix + "COUNT", count: 2)
        let (termCount, gridCount) = (counts[0], counts[1])
        let resolutions = try s.integers(prefix + "RESOLUTION", count: gridCount)
        var grids: [CMAPGrid] = []
        for (g, resolution) in resolutions.enumerated() {
            guard resolution > 0 else { throw s.error(prefix + "RESOLUTION", "grid \(g + 1) has resolution \(resolution)") }
            let flag = prefix + "PARAMETER_" + (g + 1 < 10 ? "0" : "") + String(g + 1)
            grids.append(CMAPGrid(resolution: resolution, values: try s.reals(flag, count: resolution * resolution)))
        }
        let terms = try TermDecoder(reader: s, atomCount: atomCount)
            .tuples(prefix + "INDEX", count: termCount, width: 6, types: gridCount, oneBasedAtoms: true)
        return (terms.map { CMAP(atoms: $0.atoms, type: $0.type) }, grids)
    }
}

/// Typed, counted access to sections, with errors naming the file and section.
struct SectionReader {
    let file: PrmtopFile

    func error(_ flag: String, _ message: String) -> FileFormatError {
        let line = file[flag].map { " (line \($0.line))" } ?? ""
        return FileFormatError(file: file.path, location: "section \(flag)\(line)", message)
    }

    private func section(_ flag: String, count: Int?) throws -> PrmtopFile.Section {
        guard let section = file[flag] else {
            throw FileFormatError(file: file.path, "required section %FLAG \(flag) is missing")
        }
        if let count, section.values.count != count {
            throw error(flag, "expected \(count) values (from POINTERS), found \(section.values.count)")
        }
        return section
    }

    func integers(_ flag: String, count: Int? = nil) throws -> [Int] {
        let s = try section(flag, count: count)
        guard case .integers(let v) = s.values else { throw error(flag, "expected integers, format is \(s.format)") }
        return v
    }

    func reals(_ flag: String, count: Int? = nil) throws -> [Double] {
        let s = try section(flag, count: count)
        guard case .reals(let v) = s.values else { throw error(flag, "expected real numbers, format is \(s.format)") }
        return v
    }

    func strings(_ flag: String, count: Int?) throws -> [String] {
        let s = try section(flag, count: count)
        guard case .strings(let v) = s.values else { throw error(flag, "expected text, format is \(s.format)") }
        return v
    }

    /// 1-based indices in the file, checked against `limit` and returned 0-based.
    func indices(_ flag: String, count: Int, limit: Int, what: String) throws -> [Int] {
        try integers(flag, count: count).enumerated().map { n, v in
            guard v >= 1 && v <= limit else { throw error(flag, "entry \(n + 1): \(what) \(v) outside 1…\(limit)") }
            return v - 1
        }
    }
}

/// Bonded-term lists: tuples of atom references followed by a 1-based parameter type.
private struct TermDecoder {
    let reader: SectionReader
    let atomCount: Int

    struct Tuple {
        var atoms: [Int]
        var negated: [Bool]
        var type: Int
    }

    /// Bond, angle and dihedral lists store atoms as coordinate offsets 3·(i−1), with a sign on the
    /// third and fourth dihedral atoms; CMAP lists store plain 1-based atoms.
    func tuples(_ flag: String, count: Int, width: Int, types: Int, oneBasedAtoms: Bool = false) throws -> [Tuple] {
        let values = try reader.integers(flag, count: count * width)
        var out: [Tuple] = []
        out.reserveCapacity(count)
        for t in 0..<count {
            let base = t * width
            var atoms: [Int] = []
            var negated: [Bool] = []
            for a in 0..<(width - 1) {
                let raw = values[base + a]
                let atom: Int
                if oneBasedAtoms {
                    atom = raw - 1
                } else {
                    guard raw % 3 == 0 else {
                        throw reader.error(flag, "term \(t + 1): atom reference \(raw) is not a coordinate offset (multiple of 3)")
                    }
                    atom = abs(raw) / 3
                }
                guard atom >= 0 && atom < atomCount else {
                    throw reader.error(flag, "term \(t + 1): atom \(atom + 1) outside 1…\(atomCount)")
                }
                if atoms.contains(atom) {
                    throw reader.error(flag, "term \(t + 1): atom \(atom + 1) appears twice")
                }
                atoms.append(atom)
                negated.append(raw < 0)
            }
            let type = values[base + width - 1]
            guard type >= 1 && type <= types else {
                throw reader.error(flag, "term \(t + 1): parameter type \(type) outside 1…\(types)")
            }
            out.append(Tuple(atoms: atoms, negated: negated, type: type - 1))
        }
        return out
    }
}
