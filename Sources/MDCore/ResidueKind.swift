import Foundation

/// What a residue is, from its name as AMBER and PDB files spell it. The paper's loss and metrics use
/// protein atoms only, and water models are recognised by their residue, so the naming rules live here.
public enum ResidueKind: String, Codable, CaseIterable, Sendable {
    case protein, nucleic, water, ion, other

    public init(residueName: String) {
        let name = residueName.trimmingCharacters(in: .whitespaces).uppercased()
        if ResidueKind.waters.contains(name) {
            self = .water
        } else if ResidueKind.ions.contains(name) || ResidueKind.ions.contains(name.filter { $0 != "+" && $0 != "-" }) {
            self = .ion
        } else if ResidueKind.aminoAcids.contains(name) || (name.count == 4 && (name.hasPrefix("N") || name.hasPrefix("C"))
                                                            && ResidueKind.aminoAcids.contains(String(name.dropFirst()))) {
            self = .protein
        } else if ResidueKind.nucleotides.contains(name) || (name.count >= 2 && ResidueKind.nucleotides.contains(String(name.dropLast()))
                                                             && (name.hasSuffix("5") || name.hasSuffix("3") || name.hasSuffix("N"))) {
            self = .nucleic
        } else {
            self = .other
        }
    }

    private static let waters: Set<String> = ["WAT", "HOH", "H2O", "TIP3", "TP3", "SOL", "OPC", "TIP4", "T4P", "SPC", "T3P"]
    private static let ions: Set<String> = ["NA", "CL", "K", "MG", "CA", "ZN", "LI", "RB", "CS", "BR", "IOD", "F", "MN",
                                            "FE", "CU", "NI", "CO", "CD", "SOD", "CLA", "POT", "CAL"]
    /// Standard amino acids, AMBER protonation variants and capping groups.
    private static let aminoAcids: Set<String> = [
        "ALA", "ARG", "ASN", "ASP", "CYS", "GLN", "GLU", "GLY", "HIS", "ILE", "LEU", "LYS", "MET", "PHE", "PRO",
        "SER", "THR", "TRP", "TYR", "VAL", "HID", "HIE", "HIP", "HSD", "HSE", "HSP", "CYX", "CYM", "ASH", "GLH",
        "LYN", "ARN", "TYM", "MSE", "ACE", "NME", "NHE",
    ]
    private static let nucleotides: Set<String> = [
        "A", "C", "G", "U", "T", "DA", "DC", "DG", "DT", "DU", "RA", "RC", "RG", "RU", "ADE", "CYT", "GUA", "URA", "THY",
    ]
}

extension Topology.Residue {
    public var kind: ResidueKind { ResidueKind(residueName: name) }
}
