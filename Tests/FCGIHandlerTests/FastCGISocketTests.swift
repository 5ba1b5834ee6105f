import Foundation
import Testing

@testable import FCGIHandler

/// The start log reports the accept queue the kernel really gives the FastCGI socket, which is
/// the requested backlog capped by `net.core.somaxconn`.
struct FastCGISocketTests {
    private func somaxconnFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("somaxconn-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aSmallerSomaxconnCapsTheBacklog() throws {
        let path = try somaxconnFile("128\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FastCGISocket.effectiveBacklog(4096, somaxconnFile: path) == 128)
    }

    @Test func aLargerSomaxconnLeavesTheBacklog() throws {
        let path = try somaxconnFile("65535\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FastCGISocket.effectiveBacklog(4096, somaxconnFile: path) == 4096)
    }

    @Test func anUnreadableOrOddFileLeavesTheBacklog() throws {
        #expect(FastCGISocket.effectiveBacklog(4096, somaxconnFile: "/nonexistent/somaxconn") == 4096)
        let path = try somaxconnFile("lots\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FastCGISocket.effectiveBacklog(4096, somaxconnFile: path) == 4096)
    }
}
