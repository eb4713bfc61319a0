/// What the atoms are and how they are connected: names, elements, residues and bonds.
/// Parameters live with the force field that owns them (a prmtop's in `AmberIO`).
public struct Topology: Equatable, Sendable {
    public struct Atom: Equatable, Sendable {
        public var name: String
        public var element: Element
        public var residueIndex: Int
        /// Elementary charges.
        public var charge: Double
        /// amu.
        public var mass: Double

        public init(name: String, element: Element, residueIndex: Int, charge: Double = 0, mass: Double = 0) {
            self.name = name
            self.element = element
            self.residueIndex = residueIndex
            self.charge = charge
            self.mass = mass
        }
    }

    public struct Residue: Equatable, Sendable {
        public var name: String
        /// Atoms of a residue are contiguous.
        public var atoms: Range<Int>
        /// 1-based sequence number, as PDB files print it.
        public var number: Int
        public var chain: String

        public init(name: String, atoms: Range<Int>, number: Int, chain: String = "A") {
            self.name = name
            self.atoms = atoms
            self.number = number
            self.chain = chain
        }
    }

    public struct Bond: Hashable, Sendable {
        public var i: Int
        public var j: Int
        public init(_ i: Int, _ j: Int) { self.i = i; self.j = j }
    }

    public var atoms: [Atom]
    public var residues: [Residue]
    public var bonds: [Bond]

    public init(atoms: [Atom], residues: [Residue], bonds: [Bond]) {
        self.atoms = atoms
        self.residues = residues
        self.bonds = bonds
    }

    public var atomCount: Int { atoms.count }

    /// Connected components of the bond graph, each a sorted list of atoms, ordered by first atom.
    public func molecules() -> [[Int]] {
        var parent = Array(0..<atoms.count)
        func root(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        for bond in bonds {
            let (a, b) = (root(bond.i), root(bond.j))
            if a != b { parent[max(a, b)] = min(a, b) }
        }
        var index: [Int: Int] = [:]
        var groups: [[Int]] = []
        for atom in 0..<atoms.count {
            let r = root(atom)
            if let g = index[r] { groups[g].append(atom) } else { index[r] = groups.count; groups.append([atom]) }
        }
        return groups
    }
}
