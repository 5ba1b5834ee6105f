import Glibc

/// The system's cryptographic randomness (`arc4random_buf`, from the kernel), read 512 bytes at a
/// time: the sweep draws a lease token per claim and an attempt id and a retry jitter per
/// delivery, and the standard library's generator makes a system call per 8 bytes.
struct BufferedRandom: RandomNumberGenerator {
    private var buffer = [UInt64](repeating: 0, count: 64)
    private var position = 64

    mutating func next() -> UInt64 {
        if position == buffer.count {
            buffer.withUnsafeMutableBytes { bytes in
                if let start = bytes.baseAddress { arc4random_buf(start, bytes.count) }
            }
            position = 0
        }
        defer { position += 1 }
        return buffer[position]
    }
}

/// A random source of any type, usable where a concrete generator is needed (`using: &random`).
struct RandomSource: RandomNumberGenerator {
    var base: any RandomNumberGenerator

    mutating func next() -> UInt64 { base.next() }
}
