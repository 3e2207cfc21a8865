/// The global assembly cache of .NET Framework 1.x, as Fusion lays it out on disk — one layout
/// on every profile, whoever installs the file (the installer on NT, NetFxUpdate after the
/// reboot on Windows 9x):
///
/// `C:\Windows\assembly\GAC\<Name>\<Version>_<Culture>_<PublicKeyToken>\<file name>`
///
/// e.g. `C:\Windows\assembly\GAC\System.Web\1.0.5000.0__b03f5f7f11d50a3a\System.Web.dll`. The
/// folders carry the assembly's identity, not its file: `<Version>` is the **assembly** version
/// (1.0.5000.0 for every .NET 1.1 assembly, service packs included), `<Culture>` is empty for a
/// culture-neutral assembly (hence the double underscore), and a service pack or hotfix of the
/// same assembly version replaces the file in the same folder. The identity comes from the
/// machine's assembly catalog (the image's `assemblies`), the way Fusion reads it from the
/// assembly's manifest; a file the catalog does not know is not an assembly Fusion can install.
public enum GlobalAssemblyCache {
    /// `C:\Windows\assembly\GAC`, the .NET 1.x cache (2.0 added `GAC_32` and `GAC_MSIL` beside it).
    public static let directory = WindowsPath(components: ["Windows", "assembly", "GAC"])

    /// The ECMA public key token, which signs the core class libraries.
    public static let ecmaToken = "b77a5c561934e089"
    /// The Microsoft .NET Framework public key token, which signs the rest of the Framework
    /// (`System.Web`, `System.Design`, `System.Drawing`, ...).
    public static let microsoftToken = "b03f5f7f11d50a3a"
    /// The Framework assemblies signed with the ECMA key.
    static let ecmaAssemblies: Set<String> = ["mscorlib", "System", "System.Data", "System.Xml", "System.Windows.Forms"]

    /// The public key token an assembly called `name` carries when its definition names none:
    /// the ECMA token for the core libraries, the Microsoft token otherwise.
    public static func defaultPublicKeyToken(for name: String) -> String {
        ecmaAssemblies.contains(name) ? ecmaToken : microsoftToken
    }

    /// The folder of `assembly`'s identity: `<Version>_<Culture>_<PublicKeyToken>`.
    public static func identityFolder(of assembly: AssemblyDefinition) -> String {
        "\(assembly.version)_\(assembly.culture)_\(assembly.publicKeyToken)"
    }

    /// Where `assembly` lives in the GAC: `GAC\<Name>\<identity folder>\<its file's name>`.
    public static func path(of assembly: AssemblyDefinition) -> WindowsPath {
        directory.appending(assembly.name).appending(identityFolder(of: assembly)).appending(assembly.file.name ?? assembly.name + ".dll")
    }

    /// Where Fusion installs the file `source`: the GAC path of the catalog's assembly held in
    /// that file (paths compared ignoring case). Throws when the catalog has no assembly there:
    /// Fusion cannot read an identity from it.
    public static func destination(of source: WindowsPath, catalog: AssemblyCatalog) throws(MachineError) -> WindowsPath {
        let folded = source.foldedForComparison
        guard let assembly = catalog.assemblies.first(where: { $0.file.foldedForComparison == folded }) else {
            throw MachineError("\(source) is not an assembly of the machine, so it has no identity to install into the GAC")
        }
        return path(of: assembly)
    }
}
