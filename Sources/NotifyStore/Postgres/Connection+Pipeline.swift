import CPostgres
import Glibc
import NotifyFoundation

/// libpq's pipeline mode for the change transaction: statements sent in groups, their results read
/// after one round trip per group.
extension Connection {
    /// Runs `body` in a transaction whose `BEGIN` travels with the statements `first`, and whose
    /// `COMMIT` travels with the statements `body` returns: libpq's pipeline mode sends each group at
    /// once and reads its results after one round trip, so a transaction that reads, decides here and
    /// writes costs two round trips, not one per statement. `body` gets the results of `first` and
    /// may run more statements with `query` in between; the results of the statements it returned
    /// come back with its value. Rolled back when anything throws; when the server went away before
    /// the first group, it is sent again once on a new connection (nothing of it can have
    /// committed). Like `transaction`, it does not nest.
    @discardableResult
    public func transaction<T>(pipelining first: [Step], _ body: ([Rows]) throws -> (value: T, last: [Step]))
        throws -> (value: T, last: [Rows])
    {
        guard !inTransaction else {
            throw StoreError(
                kind: .nestedTransaction, message: "a transaction cannot start inside another one",
                statement: ConnectionStatements.begin.name)
        }
        try reopenIfLost()
        let opened: [Rows]
        do {
            opened = try pipeline([.begin] + first)
        } catch let error as StoreError where error.kind == .unavailable && PQstatus(handle) != CONNECTION_OK {
            try reconnect(after: error)
            opened = try pipeline([.begin] + first)
        } catch {
            _ = try? run(ConnectionStatements.rollback, [])
            throw error
        }
        inTransaction = true
        defer { inTransaction = false }
        do {
            let (value, last) = try body(Array(opened.dropFirst()))
            // A COMMIT lost with the connection leaves the outcome unknown: the error says so.
            let written = try pipeline(last + [.commit])
            return (value, Array(written.dropLast()))
        } catch {
            _ = try? run(ConnectionStatements.rollback, [])
            throw error
        }
    }

    /// Sends `steps` in pipeline mode with one sync and returns their results in order; throws the
    /// first error after reading every result (the statements after a failed one are skipped).
    private func pipeline(_ steps: [Step]) throws -> [Rows] {
        guard PQenterPipelineMode(handle) == 1 else {
            throw StoreError(kind: .failed, message: "cannot enter pipeline mode: \(lastError)")
        }
        var preparing: [Bool] = []
        for step in steps {
            let prepare = !prepared.contains(step.statement.name)
            preparing.append(prepare)
            try send(step, prepare: prepare)
        }
        guard PQpipelineSync(handle) == 1 else { throw lost(steps.last?.statement.name ?? "pipeline") }
        var results: [Rows] = []
        var failure: (any Error)?
        for (step, prepare) in zip(steps, preparing) {
            if prepare {
                guard let result = PQgetResult(handle) else { throw lost(step.statement.name) }
                if PQresultStatus(result) == PGRES_COMMAND_OK { prepared.insert(step.statement.name) }
                PQclear(result)
                guard PQgetResult(handle) == nil else { throw lost(step.statement.name) }
            }
            guard let result = PQgetResult(handle) else { throw lost(step.statement.name) }
            guard PQgetResult(handle) == nil else {
                PQclear(result)
                throw lost(step.statement.name)
            }
            if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
                PQclear(result)
                continue
            }
            do {
                if let checked = try check(result, statement: step.statement.name) {
                    results.append(Rows(result: checked, statement: step.statement.name))
                }
            } catch {
                failure = failure ?? error
            }
        }
        guard let sync = PQgetResult(handle) else { throw lost("pipeline") }
        let synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC
        PQclear(sync)
        guard synced, PQexitPipelineMode(handle) == 1 else { throw lost("pipeline") }
        if let failure { throw failure }
        guard results.count == steps.count else {
            throw StoreError(kind: .failed, message: "a pipelined statement was skipped")
        }
        return results
    }

    private func send(_ step: Step, prepare: Bool) throws {
        let name = step.statement.name
        if prepare {
            guard PQsendPrepare(handle, name, step.statement.sql, Int32(step.values.count), nil) == 1 else {
                throw lost(name)
            }
        }
        let sent = withParameters(step.values) {
            PQsendQueryPrepared(handle, name, Int32(step.values.count), $0, nil, nil, 0)
        }
        guard sent == 1 else { throw lost(name) }
    }

    /// The error of a pipeline the connection could not carry through. A connection that is still
    /// up is out of step with its results and is reset, so the next call starts clean.
    private func lost(_ statement: String) -> StoreError {
        let error = StoreError(
            kind: .unavailable, message: "the pipeline broke off: \(lastError)", statement: statement)
        if PQstatus(handle) == CONNECTION_OK {
            PQreset(handle)
            prepared.removeAll()
            for subscription in subscriptions { _ = try? run(subscription, []) }
        }
        return error
    }
}
