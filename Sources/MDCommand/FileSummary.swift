import AmberIO
import Foundation
import MDCore

/// What `md info` reports, one Codable value per file kind so text and JSON say the same thing.
enum FileSummary {
    case prmtop(PrmtopSummary)
    case netcdf(NetCDFSummary)
    case rst7(Rst7Summary)
    case pdb(PDBSummary)

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        switch self {
        case .prmtop(let s): data = try encoder.encode(s)
        case .netcdf(let s): data = try encoder.encode(s)
        case .rst7(let s): data = try encoder.encode(s)
        case .pdb(let s): data = try encoder.encode(s)
        }
        return String(decoding: data, as: UTF8.self)
    }

    var text: String {
        let rows: [(String, String)]
        let heading: String
        switch self {
        case .prmtop(let s): (heading, rows) = ("\(s.path): AMBER prmtop", s.rows)
        case .netcdf(let s): (heading, rows) = ("\(s.path): AMBER NetCDF \(s.kind)", s.rows)
        case .rst7(let s): (heading, rows) = ("\(s.path): AMBER ASCII coordinates (rst7/inpcrd)", s.rows)
        case .pdb(let s): (heading, rows) = ("\(s.path): PDB", s.rows)
        }
        return ([heading] + rows.map { "  " + $0.0.padding(toLength: 18, withPad: " ", startingAt: 0) + $0.1 }).joined(separator: "\n")
    }
}

struct BoxSummary: Codable {
    var lengths: [Double]
    var angles: [Double]
    var shape: String
    var volume: Double

    init(_ box: Box) {
        lengths = [box.lengths.x, box.lengths.y, box.lengths.z]
        angles = [box.angles.x, box.angles.y, box.angles.z]
        shape = box.shapeName
        volume = box.volume
    }

    var text: String { "\(box)  volume \(String(format: "%.1f", volume)) Å³" }
    private var box: Box { Box(lengths: SIMD3(lengths[0], lengths[1], lengths[2]), angles: SIMD3(angles[0], angles[1], angles[2])) }
}

private func counted(_ counts: [String: Int]) -> String {
    counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
}

struct PrmtopSummary: Codable {
    struct Terms: Codable {
        var bonds: Int
        var bondsWithHydrogen: Int
        var angles: Int
        var properDihedrals: Int
        var impropers: Int
        var cmap: Int
        var cmapGrids: Int
        var ljTypes: Int
        var hbond1012Pairs: Int
        var scee: [Double]
        var scnb: [Double]
        var extraPoints: Int
    }

    var path: String
    var title: String
    var version: String
    var atoms: Int
    var residues: Int
    var residuesByKind: [String: Int]
    var atomsByKind: [String: Int]
    var molecules: Int
    var netCharge: Double
    var elements: [String: Int]
    var ions: [String: Int]
    var waterModel: String?
    var box: BoxSummary?
    var terms: Terms
    var gbRadii: String?

    init(_ top: Prmtop) {
        let topology = top.topology
        path = top.path
        title = top.title
        version = top.version.replacingOccurrences(of: "%VERSION", with: "").trimmingCharacters(in: .whitespaces)
        atoms = top.atomCount
        residues = top.residueCount
        var residueKinds: [String: Int] = [:], atomKinds: [String: Int] = [:], ions: [String: Int] = [:]
        for residue in topology.residues {
            residueKinds[residue.kind.rawValue, default: 0] += 1
            atomKinds[residue.kind.rawValue, default: 0] += residue.atoms.count
            if residue.kind == .ion { ions[residue.name, default: 0] += 1 }
        }
        residuesByKind = residueKinds
        atomsByKind = atomKinds
        self.ions = ions
        molecules = top.atomsPerMolecule?.count ?? topology.molecules().count
        netCharge = top.charges.reduce(0, +)
        elements = Dictionary(top.elements.map { ($0.symbol, 1) }, uniquingKeysWith: +)
        waterModel = PrmtopSummary.waterModel(topology)
        box = top.box.map(BoxSummary.init)
        // Types used by real torsions only: impropers and unused types carry 0.
        let torsionTypes = Set(top.dihedrals.filter { !$0.skipsOneFour && !$0.isImproper }.map(\.type))
        terms = Terms(
            bonds: top.bonds.count, bondsWithHydrogen: top.bonds.filter(\.involvesHydrogen).count, angles: top.angles.count,
            properDihedrals: top.dihedrals.filter { !$0.isImproper }.count, impropers: top.dihedrals.filter(\.isImproper).count,
            cmap: top.cmaps.count, cmapGrids: top.cmapGrids.count, ljTypes: top.ljTypeCount,
            hbond1012Pairs: top.hbondACoefficients.count,
            scee: Array(Set(torsionTypes.map { top.scee[$0] })).sorted(), scnb: Array(Set(torsionTypes.map { top.scnb[$0] })).sorted(),
            extraPoints: top.extraPointCount)
        gbRadii = top.radiusSet
    }

    /// Recognised from the water residue's atoms: three sites (TIP3P/SPC family) or four (TIP4P/OPC).
    static func waterModel(_ topology: Topology) -> String? {
        guard let water = topology.residues.first(where: { $0.kind == .water }) else { return nil }
        let hh = topology.bonds.contains { topology.atoms[$0.i].element == .hydrogen && topology.atoms[$0.j].element == .hydrogen
            && water.atoms.contains($0.i) }
        let sites = water.atoms.count
        let model = sites == 3 ? "3-site (TIP3P/SPC family)" : sites == 4 ? "4-site (TIP4P/OPC family)" : "\(sites)-site"
        return model + (hh ? ", rigid via H–H bond (SETTLE)" : "")
    }

    var rows: [(String, String)] {
        var r: [(String, String)] = [
            ("title", title.isEmpty ? "(none)" : title),
            ("version", version),
            ("atoms", "\(atoms)" + (atomsByKind.count > 1 ? " (\(counted(atomsByKind)))" : "")),
            ("residues", "\(residues) (\(counted(residuesByKind)))"),
            ("molecules", "\(molecules)"),
            ("net charge", String(format: "%.4f e", abs(netCharge) < 5e-5 ? 0 : netCharge)),
            ("elements", counted(elements)),
        ]
        if !ions.isEmpty { r.append(("ions", counted(ions))) }
        if let waterModel { r.append(("water", waterModel)) }
        r.append(("box", box?.text ?? "none (non-periodic)"))
        let t = terms
        r.append(("bonds", "\(t.bonds) (\(t.bondsWithHydrogen) with hydrogen)"))
        r.append(("angles", "\(t.angles)"))
        r.append(("dihedrals", "\(t.properDihedrals) proper, \(t.impropers) improper"))
        r.append(("CMAP", t.cmap > 0 ? "\(t.cmap) terms on \(t.cmapGrids) grids" : "none"))
        r.append(("Lennard-Jones", "\(t.ljTypes) types" + (t.hbond1012Pairs > 0 ? ", \(t.hbond1012Pairs) 10-12 H-bond pairs" : "")))
        r.append(("1-4 scaling", "SCEE \(t.scee.map { String($0) }.joined(separator: "/")), SCNB \(t.scnb.map { String($0) }.joined(separator: "/"))"))
        if t.extraPoints > 0 { r.append(("extra points", "\(t.extraPoints)")) }
        if let gbRadii { r.append(("GB radii", gbRadii)) }
        return r
    }
}

struct NetCDFSummary: Codable {
    var path: String
    var kind: String
    var convention: String
    var program: String
    var title: String
    var atoms: Int
    var frames: Int
    var variables: [String]
    var firstTime: Double?
    var lastTime: Double?
    var box: BoxSummary?

    init(path: String) throws {
        let reader = try AmberNetCDFReader(path)
        defer { reader.close() }
        self.path = path
        kind = reader.kind == .trajectory ? "trajectory" : "restart"
        convention = reader.kind.rawValue
        program = reader.program
        title = reader.title
        atoms = reader.atomCount
        frames = reader.frameCount
        variables = reader.contents.description.components(separatedBy: ", ")
        if frames > 0 {
            let first = try reader.frame(0)
            firstTime = first.time
            lastTime = frames > 1 ? try reader.frame(-1).time : first.time
            box = first.box.map(BoxSummary.init)
        }
    }

    var rows: [(String, String)] {
        var r: [(String, String)] = [("convention", convention), ("written by", program.isEmpty ? "(not stated)" : program),
                                     ("title", title.isEmpty ? "(none)" : title), ("atoms", "\(atoms)"), ("frames", "\(frames)"),
                                     ("variables", variables.joined(separator: ", "))]
        if let firstTime, let lastTime { r.append(("time", String(format: "%.4f … %.4f ps", firstTime, lastTime))) }
        r.append(("box", box?.text ?? "none"))
        return r
    }
}

struct Rst7Summary: Codable {
    var path: String
    var title: String
    var atoms: Int
    var time: Double
    var velocities: Bool
    var box: BoxSummary?

    init(path: String) throws {
        let (frame, title) = try Rst7.read(path)
        self.path = path
        self.title = title
        atoms = frame.atomCount
        time = frame.time
        velocities = frame.velocities != nil
        box = frame.box.map(BoxSummary.init)
    }

    var rows: [(String, String)] {
        [("title", title.isEmpty ? "(none)" : title), ("atoms", "\(atoms)"), ("time", "\(time) ps"),
         ("velocities", velocities ? "yes" : "no"), ("box", box?.text ?? "none")]
    }
}

struct PDBSummary: Codable {
    var path: String
    var models: Int
    var atoms: Int
    var chains: [String]
    var residues: Int
    var residuesByKind: [String: Int]
    var alternateLocations: Int
    var box: BoxSummary?

    init(path: String) throws {
        let structure = try PDB.read(path)
        self.path = path
        models = structure.models.count
        let atoms = structure.models[0].atoms
        self.atoms = atoms.count
        var chains: [String] = []
        var residueKeys = Set<String>()
        var kinds: [String: Int] = [:]
        for atom in atoms {
            if !chains.contains(atom.chain) { chains.append(atom.chain) }
            let key = "\(atom.chain):\(atom.residueNumber)\(atom.insertionCode.map(String.init) ?? "")"
            if residueKeys.insert(key).inserted { kinds[ResidueKind(residueName: atom.residueName).rawValue, default: 0] += 1 }
        }
        self.chains = chains
        residues = residueKeys.count
        residuesByKind = kinds
        alternateLocations = atoms.filter { $0.alternateLocation != nil }.count
        box = structure.box.map(BoxSummary.init)
    }

    var rows: [(String, String)] {
        [("models", "\(models)"), ("atoms", "\(atoms) (first model)"), ("chains", chains.map { $0.isEmpty ? "(blank)" : $0 }.joined(separator: " ")),
         ("residues", "\(residues) (\(counted(residuesByKind)))"), ("altloc atoms", "\(alternateLocations)"), ("box", box?.text ?? "none")]
    }
}
