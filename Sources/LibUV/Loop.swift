// The libuv binding: loop, framed pipes, processes, timers, signals.
import CLibUV
