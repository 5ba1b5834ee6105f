import Foundation
import NotifyStore
import NotifyTestSupport
import Testing

@testable import NotifySweep

/// A lane runs each job on its own connection and keeps what it gave until taken: a failed job is
/// an error to take, not a dead lane, and the next job runs on a connection opened again.
@Suite(.enabled(if: TestDatabase.isConfigured), .usesTheCluster)
struct DatabaseLaneTests {
    struct Refused: Error {}

    @Test func aFailedJobIsTakenAsItsErrorAndTheNextOneRuns() throws {
        let condition = NSCondition()
        let lane = DatabaseLane<Bool, String>(
            condition: condition, conninfo: try TestDatabase.migratedConninfo(), finished: {},
            perform: { succeed, connection in
                guard succeed else { throw Refused() }
                return try connection.query(Statement("lane_test_one", "SELECT 'one' AS v"), []).first?.string("v")
                    ?? ""
            })
        defer { lane.stop() }
        #expect(lane.take() == nil, "nothing was asked")
        for succeed in [false, true] {
            lane.submit(succeed)
            #expect(lane.isBusy)
            let taken = try #require(take(from: lane))
            #expect(taken.job == succeed)
            if succeed {
                #expect(try taken.outcome.get() == "one")
            } else {
                #expect(throws: Refused.self) { try taken.outcome.get() }
            }
            #expect(!lane.isBusy)
        }
    }

    /// What the lane gave, waited for up to 10 s.
    private func take(from lane: DatabaseLane<Bool, String>) -> (job: Bool, outcome: Result<String, any Error>)? {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let taken = lane.take() { return taken }
            usleep(1_000)
        }
        return nil
    }
}
