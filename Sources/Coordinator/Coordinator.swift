import LibUV
import Wire
import RigModel
import Report
import Machine
/// Runs a rig.
public enum CoordinatorModule {}
