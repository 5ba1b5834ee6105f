import Foundation
import Logging
import NotifyDomain
import NotifyFoundation
import NotifyStore

/// The sweep's pipeline: keeps deliveries in flight, claims more whenever one of its destinations
/// has room, and writes outcomes back as soon as they finish. No transaction is open while
/// requests run; each claimed delivery carries its lease token to the write-back.
///
/// Isolation between receivers comes from two limits. A destination gets at most
/// `destinationConcurrency` requests in flight (in `HTTPDeliverer`) and at most `destinationWindow`
/// deliveries claimed and not yet finished, so a receiver that never answers holds a few slots, not
/// the sweep; a merchant gets at most half the slots, so one merchant's many dead receivers leave
/// room for the others. The claim itself takes from every destination with due work (see
/// `DeliveryStatements.claim`).
final class Sweeper {
    let config: SweepConfig
    let deliverer: HTTPDeliverer
    let logger: Logger
    /// The time, read when a claim starts and when finished attempts are collected.
    private let clock: () -> Date
    /// The random source of lease tokens, attempt ids and retry jitter.
    private var random: RandomSource
    /// Deliveries handed to the deliverer by request id, with the time they were claimed.
    private var inFlight: [String: (delivery: ClaimedDelivery, claimedAt: Date)] = [:]
    /// Finished attempts not yet written back, and when the oldest of them finished.
    private var unwritten: [FinishedAttempt] = []
    private var oldestUnwritten = Date.distantFuture
    /// Claims and writes batches back beside the transfers; `writing` attempts are with it now, and
    /// `claiming` is the claim it is making (its limit counts as held meanwhile).
    private let worker: DatabaseWorker
    private var writing = 0
    private var claiming: (limit: Int, now: Date, leaseToken: String, nothingHeld: Bool)?
    /// How many deliveries the last claim taken in took; `nil` while none was.
    private(set) var lastClaimed: Int?
    /// The last claim was made with nothing held and took nothing: nothing is due.
    private(set) var drained = false
    /// Claims that took deliveries, and batches written back, since the start (the sweep's log
    /// says them: deliveries per statement are what the database's cost per delivery follows).
    private(set) var claims = 0
    private(set) var writeBacks = 0
    private let signedRequests = SignedRequests()
    /// Deliveries claimed and not yet finished or released (in flight, or waiting for a slot), per
    /// destination and per merchant: the windows bound what waits for a receiver, while a finished
    /// attempt waiting for its write-back leaves room for the next claim at once (the sweep's
    /// `maxHeld` still counts it).
    private var heldByDestination: [String: Int] = [:]
    private var heldByMerchant: [String: Int] = [:]
    /// Destinations and merchants whose last claim filled their window: more of theirs is likely due.
    private var backlogged: Set<String> = []
    private var backloggedMerchants: Set<String> = []
    /// Set when a backlogged destination or merchant got room back, or the last claim was cut by
    /// the batch size.
    private var roomOpened = true

    /// Attempts handed to the write-back at most this long after they finished, when it is free
    /// (outcomes go back per batch; a statement per finished delivery costs the database 2.5 times
    /// more).
    static let writeBackDelay = 0.01

    /// `clock` and `random` are the system's in `notify-sweep`; a test passes fixed ones to get the
    /// same lease, timestamps, attempt ids and retry times on every run.
    init(
        config: SweepConfig, deliverer: HTTPDeliverer, logger: Logger, clock: @escaping () -> Date,
        random: any RandomNumberGenerator
    ) {
        self.config = config
        self.deliverer = deliverer
        self.logger = logger
        self.clock = clock
        self.random = RandomSource(base: random)
        let wake = deliverer.waker
        self.worker = DatabaseWorker(config: config, wake: { wake.wake() })
    }

    deinit {
        worker.stop()
    }

    /// Whether a claim is being made beside the transfers (`claimAhead`).
    var isClaiming: Bool { claiming != nil }

    /// Deliveries claimed and not yet written back.
    var busy: Int { inFlight.count + unwritten.count + writing }

    /// Deliveries claimed and not yet finished: in flight, or waiting for a slot.
    var unfinished: Int { inFlight.count }

    /// Whether the sweep holds deliveries or is making a claim: work to finish before it stops or idles.
    var isWorking: Bool { busy > 0 || isClaiming }

    /// How many more deliveries one claim may take now.
    var room: Int { max(0, min(config.batchSize, config.maxHeld - busy - (claiming?.limit ?? 0))) }

    /// Whether a claim is worth its statement now: nothing is held, or a destination or merchant
    /// with more due work got room back since the last claim.
    var wantsMore: Bool { claiming == nil && room > 0 && (busy == 0 || roomOpened) }

    /// Claims what the destinations' room allows on `connection`, waits for the claim and starts
    /// it. Returns how many were claimed. The sweep itself claims ahead (`claimAhead`); this form
    /// lets a test count what one claim takes.
    @discardableResult
    func claim(_ connection: Connection) throws -> Int {
        let nothingHeld = busy == 0
        guard let (claim, now) = nextClaim() else { return 0 }
        let claimed = try DeliveryStore(connection: connection).claim(
            now: claim.now, limit: claim.limit, leaseUntil: claim.leaseUntil, leaseToken: claim.leaseToken,
            room: claim.room)
        return try start(
            claimed, limit: claim.limit, now: now, leaseToken: claim.leaseToken, nothingHeld: nothingHeld,
            connection: connection)
    }

    /// `claim` beside the transfers: the database worker makes the claim, and `advance` starts what
    /// it took. Does nothing while a claim is being made.
    func claimAhead() {
        let nothingHeld = busy == 0
        guard claiming == nil, let (claim, now) = nextClaim() else { return }
        claiming = (claim.limit, now, claim.leaseToken, nothingHeld)
        worker.submit(claim)
    }

    /// The arguments of a claim of what the room allows now, and its time; `nil` when there is no room.
    private func nextClaim() -> (DatabaseWorker.Claim, Date)? {
        let limit = room
        guard limit > 0 else { return nil }
        roomOpened = false
        let now = clock()
        let claim = DatabaseWorker.Claim(
            now: now.rfc3339, limit: limit, leaseUntil: now.addingTimeInterval(config.effectiveLeaseSeconds).rfc3339,
            leaseToken: newLeaseToken(), room: claimRoom())
        return (claim, now)
    }

    /// Starts the claimed deliveries and fails the defective ones. Returns how many were claimed.
    private func start(
        _ claimed: [ClaimedDelivery], limit: Int, now: Date, leaseToken: String, nothingHeld: Bool,
        connection: Connection
    ) throws -> Int {
        lastClaimed = claimed.count
        drained = claimed.isEmpty && nothingHeld
        if !claimed.isEmpty { claims += 1 }
        var requests: [DeliveryRequest] = []
        var defective: [AttemptRecord] = []
        for delivery in claimed {
            if let defect = delivery.defect {
                let outcome = DeliveryOutcome(id: delivery.eventId, error: defect, permanent: true)
                let attempt = FinishedAttempt(delivery: delivery, outcome: outcome, claimedAt: now, finishedAt: now)
                let drawn = draw(claimedAt: now)
                defective.append(
                    attempt.record(
                        destination: nil, schedule: config.schedule, jitter: drawn.jitter, attemptId: drawn.attemptId))
                continue
            }
            let id = leaseToken + "/" + delivery.eventId
            inFlight[id] = (delivery, now)
            hold(delivery, by: 1)
            requests.append(signedRequests.request(for: delivery, id: id, at: now))
        }
        for (destination, held) in heldByDestination where held >= config.destinationWindow {
            backlogged.insert(destination)
        }
        for (merchant, held) in heldByMerchant where held >= config.merchantWindow {
            backloggedMerchants.insert(merchant)
        }
        // Cut by the batch, or by a merchant's share of a destination while the merchant has room left.
        if claimed.count >= limit
            || claimed.contains(where: { $0.more && heldByMerchant[$0.merchant, default: 0] < config.merchantWindow })
        {
            roomOpened = true
        }
        deliverer.submit(requests)
        if !defective.isEmpty {
            logger.error("undeliverable events", metadata: ["events": .stringConvertible(defective.count)])
            try DeliveryStore(connection: connection).complete(defective)
        }
        return claimed.count
    }

    /// Moves the transfers along for up to `waitMs`, takes in the batch the write-back finished and
    /// hands it the next one: once half a batch has finished, nothing is left in flight, or
    /// `writeBackDelay` has passed. Returns how many attempts were written back.
    @discardableResult
    func advance(_ connection: Connection, waitMs: Int32) throws -> Int {
        var outcomes: [DeliveryOutcome] = []
        if deliverer.inFlight == 0 && (worker.isWriting || worker.isClaiming) {
            worker.wait(timeoutMs: waitMs)
        } else {
            outcomes = deliverer.poll(timeoutMs: waitMs)
        }
        let now = clock()
        if let claimed = worker.takeClaimed(), let claim = claiming {
            claiming = nil
            _ = try start(
                claimed.get(), limit: claim.limit, now: claim.now, leaseToken: claim.leaseToken,
                nothingHeld: claim.nothingHeld, connection: connection)
        }
        for outcome in outcomes {
            guard let entry = inFlight.removeValue(forKey: outcome.id) else { continue }
            hold(entry.delivery, by: -1)
            if let refusal = outcome.refusal {
                logger.warning(
                    "target address not allowed",
                    metadata: ["event.id": "\(entry.delivery.eventId)", "reason": "\(refusal)"])
            }
            if unwritten.isEmpty { oldestUnwritten = now }
            unwritten.append(
                FinishedAttempt(delivery: entry.delivery, outcome: outcome, claimedAt: entry.claimedAt, finishedAt: now)
            )
        }
        let written = try takeWritten(connection: connection, now: now)
        if !unwritten.isEmpty, !worker.isWriting,
            inFlight.isEmpty || unwritten.count >= max(1, config.batchSize / 2)
                || now.timeIntervalSince(oldestUnwritten) >= Self.writeBackDelay
        {
            let batch = unwritten
            unwritten.removeAll(keepingCapacity: true)
            writing = batch.count
            let draws = batch.map { draw(claimedAt: $0.claimedAt) }
            worker.submit(DatabaseWorker.Job(batch: batch, draws: draws))
        }
        return written
    }

    /// Releases what the last write-back recorded and hands back the deliveries still waiting for a
    /// destination it stopped. Returns how many attempts it wrote; throws its error.
    private func takeWritten(connection: Connection, now: Date) throws -> Int {
        guard let (batch, outcome) = worker.take() else { return 0 }
        writing = 0
        writeBacks += 1
        let done = try outcome.get()
        if done.recorded < batch.count {
            logger.warning(
                "leases expired before write-back", metadata: ["lost": .stringConvertible(batch.count - done.recorded)])
        }
        try releaseWaiting(of: done.health, connection: connection, now: now)
        return batch.count
    }

    /// Hands back, unattempted, the deliveries still waiting here for a destination that now sends
    /// nothing (breaker open, paused, disabled, held by `Retry-After`).
    private func releaseWaiting(of health: [String: DestinationHealth], connection: Connection, now: Date) throws {
        let seconds = now.timeIntervalSince1970
        var released: [ClaimedDelivery] = []
        for (destination, state) in health where !state.status.sends || (state.heldUntil ?? 0) > seconds {
            for id in deliverer.withdraw(destination: destination) {
                guard let entry = inFlight.removeValue(forKey: id) else { continue }
                hold(entry.delivery, by: -1)
                released.append(entry.delivery)
            }
        }
        guard !released.isEmpty else { return }
        try DeliveryStore(connection: connection).release(released, now: now.rfc3339)
        logger.info("deliveries handed back", metadata: ["deliveries": .stringConvertible(released.count)])
    }

    /// The room this sweep has left per destination and merchant it holds deliveries of.
    private func claimRoom() -> DeliveryStore.ClaimRoom {
        DeliveryStore.ClaimRoom(
            destinations: heldByDestination.filter { !$0.key.isEmpty }.mapValues {
                max(0, config.destinationWindow - $0)
            },
            merchants: heldByMerchant.mapValues { max(0, config.merchantWindow - $0) },
            perDestination: config.destinationWindow, perMerchant: config.merchantWindow)
    }

    /// A random (version 4) UUID, lower-case, naming one claim's lease.
    private func newLeaseToken() -> String {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        bytes[6] = bytes[6] & 0x0f | 0x40
        bytes[8] = bytes[8] & 0x3f | 0x80
        let uuid = UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
        return uuid.uuidString.lowercased()
    }

    private func hold(_ delivery: ClaimedDelivery, by change: Int) {
        let destination = delivery.destinationKey
        let held = heldByDestination[destination, default: 0] + change
        heldByDestination[destination] = held > 0 ? held : nil
        let merchantHeld = heldByMerchant[delivery.merchant, default: 0] + change
        heldByMerchant[delivery.merchant] = merchantHeld > 0 ? merchantHeld : nil
        guard change < 0 else { return }
        if held <= config.destinationWindow / 2, backlogged.contains(destination) {
            backlogged.remove(destination)
            roomOpened = true
        }
        if merchantHeld <= config.merchantWindow / 2, backloggedMerchants.contains(delivery.merchant) {
            backloggedMerchants.remove(delivery.merchant)
            roomOpened = true
        }
    }

    /// The random draws of one attempt's record, in this order: the jitter of its retry time (a
    /// fraction in [0, 1)) and its id, a version 7 UUID of the time its delivery was claimed.
    private func draw(claimedAt: Date) -> (jitter: Double, attemptId: String) {
        let jitter = Double.random(in: 0..<1, using: &random)
        return (jitter, UUIDv7.make(unixMillis: UInt64(claimedAt.timeIntervalSince1970 * 1000), using: &random))
    }
}
