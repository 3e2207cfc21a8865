import CSQLite
/// The machine registry in SQLite.
public enum RegistryModule {}
