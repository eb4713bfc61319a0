import Foundation

/// A chemical element by atomic number, with the standard atomic weight used to recognise it from a mass.
public struct Element: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let atomicNumber: Int

    public init(atomicNumber: Int) { self.atomicNumber = atomicNumber }

    /// Extra points and virtual sites carry no element.
    public static let none = Element(atomicNumber: 0)
    public static let hydrogen = Element(atomicNumber: 1)
    public static let carbon = Element(atomicNumber: 6)
    public static let nitrogen = Element(atomicNumber: 7)
    public static let oxygen = Element(atomicNumber: 8)
    public static let sulfur = Element(atomicNumber: 16)

    public static func < (a: Element, b: Element) -> Bool { a.atomicNumber < b.atomicNumber }

    public var symbol: String {
        atomicNumber > 0 && atomicNumber < Element.table.count ? Element.table[atomicNumber].symbol : "EP"
    }
    public var description: String { symbol }

    /// Standard atomic weight in amu (0 for extra points).
    public var standardMass: Double {
        atomicNumber > 0 && atomicNumber < Element.table.count ? Element.table[atomicNumber].mass : 0
    }

    public init?(symbol: String) {
        let s = symbol.trimmingCharacters(in: .whitespaces).lowercased()
        guard let z = Element.table.firstIndex(where: { $0.symbol.lowercased() == s }), z > 0 else { return nil }
        atomicNumber = z
    }

    /// The element whose standard weight is nearest `mass`, as AMBER tools do for prmtops without
    /// ATOMIC_NUMBER. Hydrogen-mass-repartitioned hydrogens (≈3 amu) still read as hydrogen.
    public init(guessingFromMass mass: Double) {
        if mass < 0.5 { self = .none; return }
        if mass < 4.0 { self = .hydrogen; return }
        var best = 1
        for z in 2..<Element.table.count where abs(Element.table[z].mass - mass) < abs(Element.table[best].mass - mass) {
            best = z
        }
        atomicNumber = best
    }

    // Index = atomic number, through krypton plus the ions common in biomolecular simulation.
    private static let table: [(symbol: String, mass: Double)] = {
        var t: [(String, Double)] = [
            ("EP", 0), ("H", 1.008), ("He", 4.0026), ("Li", 6.94), ("Be", 9.0122), ("B", 10.81),
            ("C", 12.011), ("N", 14.007), ("O", 15.999), ("F", 18.998), ("Ne", 20.180),
            ("Na", 22.990), ("Mg", 24.305), ("Al", 26.982), ("Si", 28.085), ("P", 30.974),
            ("S", 32.06), ("Cl", 35.45), ("Ar", 39.948), ("K", 39.098), ("Ca", 40.078),
            ("Sc", 44.956), ("Ti", 47.867), ("V", 50.942), ("Cr", 51.996), ("Mn", 54.938),
            ("Fe", 55.845), ("Co", 58.933), ("Ni", 58.693), ("Cu", 63.546), ("Zn", 65.38),
            ("Ga", 69.723), ("Ge", 72.630), ("As", 74.922), ("Se", 78.971), ("Br", 79.904),
            ("Kr", 83.798), ("Rb", 85.468), ("Sr", 87.62),
        ]
        // Heavier elements seen in ion parameter sets, padded so the index stays the atomic number.
        let heavy: [(Int, String, Double)] = [(53, "I", 126.90), (55, "Cs", 132.91), (56, "Ba", 137.33)]
        for (z, s, m) in heavy {
            while t.count < z { t.append(("X\(t.count)", 0)) }
            t.append((s, m))
        }
        return t
    }()
}
