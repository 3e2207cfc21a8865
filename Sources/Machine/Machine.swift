import WinFS
import Registry
/// The machine sandbox.
public enum MachineModule {}
