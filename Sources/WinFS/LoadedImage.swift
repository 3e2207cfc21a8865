import CWinFS
import Glibc
import WindowsModel

/// A DLL or EXE loaded the way the Windows loader does it (LoadLibrary): the file opened for
/// read with share read|delete, mapped as an image section (mmap PROT_READ, MAP_PRIVATE), and the
/// handle closed. The section lives until `unload()` or the end of the process.
///
/// While it lives (Wine server/fd.c `check_sharing` and `set_fd_disposition`, mapping.c: the
/// section's descriptor has no data access and shares everything, plus FILE_MAPPING_IMAGE):
/// * opens asking for write fail with ERROR_SHARING_VIOLATION (32);
/// * DeleteFile, and MoveFileEx with no destination, fail with ERROR_ACCESS_DENIED (5);
/// * MoveFileEx replacing it as a target fails with ERROR_ACCESS_DENIED (5);
/// * opens for read, or for delete with any share mode, succeed; the file can be renamed.
/// The section keeps the bytes it mapped (the old inode) when the file is renamed aside and a new
/// file put in its place; a later load maps the new file.
///
/// Implemented as a descriptor holding an OFD lock on the reserved "image" byte; the kernel drops
/// it when the process dies.
public final class LoadedImage: @unchecked Sendable {
    // @unchecked: the mapping is read-only and never changes until unload(), which is the
    // owner's to call once.

    /// The path it was loaded from.
    public let path: WindowsPath
    /// The identity of the file mapped (it follows the file through renames).
    public let identity: FileIdentity
    private var descriptor: Int32
    private var address: UnsafeMutableRawPointer?
    private let length: Int

    init(path: WindowsPath, identity: FileIdentity, descriptor: Int32, address: UnsafeMutableRawPointer?, length: Int) {
        self.path = path
        self.identity = identity
        self.descriptor = descriptor
        self.address = address
        self.length = length
    }

    deinit { unload() }

    /// Whether the section still lives.
    public var isLoaded: Bool { descriptor >= 0 }

    /// The mapped bytes (empty after `unload()`).
    public var bytes: UnsafeRawBufferPointer {
        guard let address else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: address, count: length)
    }

    /// A copy of the mapped bytes: what this process loaded.
    public func contents() -> [UInt8] { Array(bytes) }

    /// FreeLibrary: unmaps and ends the section (releasing its lock).
    public func unload() {
        if let address { munmap(address, length) }
        address = nil
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }
}

extension MachineRoot {
    /// LoadLibrary: loads `path` as an image (see `LoadedImage`). The loader's open (read, share
    /// read|delete) fails with ERROR_SHARING_VIOLATION (32) when a handle with data access does
    /// not share read, or has write access. ERROR_BAD_EXE_FORMAT (193) for an empty file; 2/3
    /// when missing; ERROR_ACCESS_DENIED (5) when the file is delete-pending.
    public func loadImage(_ path: WindowsPath) throws(Win32Error) -> LoadedImage {
        let fd = try openBeneath(path, flags: O_RDONLY, operation: "LoadLibrary")
        do throws(Win32Error) {
            switch try deletePendingState(fd, path, operation: "LoadLibrary") {
            case .none: break
            case .completed: throw Win32Error(2, operation: "LoadLibrary", path: path.description)
            case .held: throw DeletePending.error(path, operation: "LoadLibrary")
            }
            // The loader's open (read, share read|delete) is checked; the handle then becomes the
            // section at once (gated, so nobody sees the in-between), holding only the image byte.
            try ShareLock.acquire(
                fd, check: .read, share: [.read, .delete], holdMask: ShareLock.image, path: path,
                operation: "LoadLibrary"
            ) { () throws(Win32Error) in }
            let identity = try FileIdentity(descriptor: fd, path: path)
            guard identity.size > 0 else {
                throw Win32Error(193, operation: "LoadLibrary", path: path.description, reason: "the file is empty")
            }
            let length = Int(identity.size)
            guard let address = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
                throw Win32Error(errno: errno, operation: "LoadLibrary", path: path.description)
            }
            return LoadedImage(path: path, identity: identity, descriptor: fd, address: address, length: length)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }
}
