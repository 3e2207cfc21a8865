import Registry
import WindowsModel

/// Writing what `WindowsKeys` names (the names are plain values, in WindowsModel; writing them
/// needs the registry).
extension WindowsKeys {
    /// Registers the service `name` under `services`: its `ImagePath` runs `command`, its `Start`
    /// is `start`, its `Type` SERVICE_WIN32_OWN_PROCESS (inside the caller's transaction, if any).
    public static func registerService(_ name: String, command: String, start: ServiceStart, in registry: Registry) throws {
        let key = services.appending(name)
        try registry.setValue(key, serviceImagePath, .string(command))
        try registry.setValue(key, serviceStart, .dword(start.startValue))
        try registry.setValue(key, serviceType, .dword(serviceWin32OwnProcess))
    }
}
