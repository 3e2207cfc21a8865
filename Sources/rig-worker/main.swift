import Roles

// Kept to one call: everything a worker does is in the Roles module.
Worker.main(CommandLine.arguments)
