import Testing

@testable import NotifySweep

/// The pure parts of the delivery engine: the response cap and the in-flight scheduling.
@Suite struct DeliveryPartsTests {
    @Test func responseBufferKeepsUpToTheLimit() {
        var buffer = ResponseBuffer(limit: 8)
        let accepted = [UInt8]("abcde".utf8).withUnsafeBytes { buffer.append($0) }
        #expect(accepted)
        let cut = [UInt8]("fghij".utf8).withUnsafeBytes { buffer.append($0) }
        #expect(!cut)
        #expect(buffer.exceeded)
        #expect(buffer.text == "abcdefgh")
    }

    @Test func responseBufferExactlyAtTheLimitIsWhole() {
        var buffer = ResponseBuffer(limit: 4)
        let accepted = [UInt8]("abcd".utf8).withUnsafeBytes { buffer.append($0) }
        #expect(accepted && !buffer.exceeded && buffer.text == "abcd")
    }

    @Test(arguments: [
        ("aé", 3, "aé"),  // complete two-byte character
        ("aé", 2, "a"),  // cut inside it: the partial character is dropped
        ("a€", 3, "a"),  // three-byte character cut after two bytes
        ("a😀", 4, "a"),  // four-byte character cut after three bytes
        ("a😀", 5, "a😀"),
    ])
    func cutDropsAPartialCharacter(text: String, limit: Int, expected: String) {
        var buffer = ResponseBuffer(limit: limit)
        _ = [UInt8]((text + "zzz").utf8).withUnsafeBytes { buffer.append($0) }
        #expect(buffer.text == expected)
    }

    @Test func emptyBatchReturnsAtOnce() {
        let deliverer = HTTPDeliverer(policy: HTTPDelivererTests.loopbackOnly, userAgent: "notify-test/1")
        #expect(deliverer.deliver([]) == [])
    }

    @Test func queueCapsPerDestinationAndInAll() {
        let hosts = ["a", "a", "a", "b", "c"]
        var queue = DeliveryQueue(maxConcurrent: 3, maxPerDestination: 2)
        for (ticket, host) in hosts.enumerated() { queue.enqueue(ticket: ticket, destination: host) }
        #expect(queue.count == 5)
        #expect(queue.next() == 0)
        #expect(queue.next() == 1)
        #expect(queue.next() == 3)  // third "a" waits for a slot on its host
        #expect(queue.next() == nil)  // three in flight
        queue.finish(3)
        #expect(queue.next() == 4)
        queue.finish(0)
        #expect(queue.next() == 2)
        #expect(queue.next() == nil)
        queue.enqueue(ticket: 5, destination: "b")
        #expect(queue.next() == nil)  // still three in flight
        for index in [1, 2, 4] { queue.finish(index) }
        #expect(queue.next() == 5)
        queue.finish(5)
        #expect(queue.isDone)
    }

    @Test func queueCapsPerMerchant() {
        var queue = DeliveryQueue(maxConcurrent: 10, maxPerDestination: 8, maxPerMerchant: 2)
        for (ticket, destination) in ["a1", "a2", "a3"].enumerated() {
            queue.enqueue(ticket: ticket, destination: destination, merchant: "a")
        }
        queue.enqueue(ticket: 3, destination: "b1", merchant: "b")
        #expect(queue.next() == 0)
        #expect(queue.next() == 1)
        #expect(queue.next() == 3)  // merchant a has its two; b's request goes first
        #expect(queue.next() == nil)
        queue.finish(0)
        #expect(queue.next() == 2)
    }

    @Test func withdrawTakesBackOnlyWaitingRequestsOfOneDestination() {
        var queue = DeliveryQueue(maxConcurrent: 10, maxPerDestination: 1)
        for (ticket, destination) in ["a", "a", "a", "b"].enumerated() {
            queue.enqueue(ticket: ticket, destination: destination)
        }
        #expect(queue.next() == 0)
        #expect(queue.withdraw(destination: "a") == [1, 2])
        #expect(queue.count == 2)
        #expect(queue.next() == 3)
        #expect(queue.next() == nil)
    }

    @Test(arguments: [
        ("http://127.0.0.1:8080/hooks?x=1", "http://127.0.0.1:8080"),
        ("HTTPS://Example.COM/a", "https://example.com"),
        ("https://user@example.com#frag", "https://example.com"),
        ("http://[::1]:9/", "http://[::1]:9"),
        ("no-scheme", "no-scheme"),
    ])
    func hostKey(url: String, key: String) {
        #expect(DeliveryQueue.hostKey(of: url) == key)
    }
}
