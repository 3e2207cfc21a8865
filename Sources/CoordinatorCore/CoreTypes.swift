import Wire

/// A process of a run, by the order in which the run created it: rig actors first, in file
/// order, then each worker's child and each boot program as it is started.
public typealias ProcessIndex = Int

/// What the core is told: a worker's frame, a timer that expired, a process that ended, a signal.
/// The shell (`RigRunner`) turns what libuv reports into these, in the order it happened.
public enum CoreInput: Sendable, Equatable {
    /// The run begins.
    case begin
    /// A timer the core armed (`CoreCommand.armTimer`) expired.
    case timer(TimerID)
    /// A process the core asked for (`CoreCommand.spawn`) is running: its pid, and the spawn's
    /// start and end on the real clock.
    case spawned(ProcessIndex, pid: Int32, startNs: UInt64, endNs: UInt64)
    /// It could not be started, and why.
    case spawnFailed(ProcessIndex, reason: String)
    /// A whole frame from a worker, decoded.
    case message(ProcessIndex, Message)
    /// A frame that did not decode.
    case malformed(ProcessIndex, reason: String)
    /// The worker's end of the pipe closed (or was reset).
    case pipeEnded(ProcessIndex)
    /// The pipe broke mid-frame or could not be read.
    case pipeFailed(ProcessIndex, reason: String)
    /// The process ended, as the kernel reported it.
    case exited(ProcessIndex, TerminationStatus)
    /// SIGINT or SIGTERM: `name` is how the run's problem names it.
    case interrupted(signal: Int32, name: String)
}

/// What the core asks the shell to do. Commands carry no callbacks: whatever comes of them
/// comes back as a `CoreInput`.
public enum CoreCommand: Sendable, Equatable {
    /// Start `rig-worker ROLE` with a control pipe, its stdout and stderr in `logBase.stdout`
    /// and `logBase.stderr`, in a process group of its own.
    case spawn(ProcessIndex, role: String, logBase: String)
    /// Send a message to a worker (nothing happens if its pipe is gone).
    case send(ProcessIndex, Message)
    /// Arm a timer on the real clock; it comes back as `.timer(id)`.
    case armTimer(TimerID, afterNs: UInt64)
    /// Disarm a timer (nothing happens if it already expired or was never armed).
    case cancelTimer(TimerID)
    /// Signal a process's group.
    case signal(ProcessIndex, ProcessSignal)
    /// Kill a process and its group now and stop reading its pipe.
    case kill(ProcessIndex)
    /// The process is over: close its pipe and process handles.
    case close(ProcessIndex)
    /// The run is over: close whatever the shell keeps for the run.
    case finish
}

/// The signals the core sends.
public enum ProcessSignal: Sendable, Equatable {
    /// SIGKILL to the process group (the end of the run).
    case kill
    /// SIGSTOP / SIGCONT: a paused fault.
    case stop
    case resume
}

/// What can start on a time, after an event or after an exit.
public enum Trigger: Hashable, Sendable, Comparable {
    case process(ProcessIndex)
    case step(Int)
    case fault(Int)
}

/// The core's timers. They are ordered, so timers due at the same virtual instant fire in an
/// order that depends on what they are and not on the order in which real processes happened
/// to make them due.
public enum TimerID: Hashable, Sendable, Comparable {
    /// A start condition's delay.
    case start(Trigger)
    /// A process's time limit.
    case timeout(ProcessIndex)
    /// A fault's pause ends.
    case pauseEnd(Int)
    /// A reboot's grace for stopping processes is over.
    case stopGrace(Int)
    /// How long frames still in an exited process's pipe are waited for.
    case pipeGrace(ProcessIndex)
    /// The rig's `timeout:`.
    case run
    /// Under a controlled schedule: the rig's timeout on the real clock too, so that a worker
    /// stuck outside any scheduling point still ends the run.
    case watchdog

    /// Whether the timer runs on virtual time under a controlled schedule. The pipe grace, the
    /// stop grace and the watchdog wait for real processes to do something, so they stay real.
    var isVirtual: Bool {
        switch self {
        case .start, .timeout, .pauseEnd, .run: return true
        case .stopGrace, .pipeGrace, .watchdog: return false
        }
    }
}
