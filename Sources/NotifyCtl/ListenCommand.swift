import ArgumentParser
import Foundation
import NotifyDomain
import NotifyFoundation
import NotifyStore

#if canImport(Glibc)
    import Glibc
#endif

/// `notifyctl listen`: a webhook receiver for development. It checks each delivery's Standard
/// Webhooks signature and timestamp with the merchant's secret, prints one line per delivery and
/// answers 200 when it verifies, 400 when not (so the service records, and retries, a bad one).
struct ListenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Receive webhooks on 127.0.0.1, verify their signatures and print one line each.")

    @Option(help: "Port to listen on (0: any free port, printed at start).") var port = 9000
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Signing secret (whsec_...); default: NOTIFY_SIGNING_SECRET.") var secret: String?
    @Flag(help: "Print one JSON object per delivery, with the whole body.") var json = false
    @Option(help: "Exit after this many deliveries (default: run until stopped).") var count: Int?

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let secretText = secret ?? environment["NOTIFY_SIGNING_SECRET"], !secretText.isEmpty else {
            throw CtlSupport.fail("give --secret whsec_... or set NOTIFY_SIGNING_SECRET (`. .state/env`)", code: 2)
        }
        let signer: WebhookSignature
        do {
            signer = try WebhookSignature(secret: secretText)
        } catch {
            throw CtlSupport.fail("the secret is not a Standard Webhooks secret: \(error.message)", code: 2)
        }
        let server = try LoopbackHTTPServer(host: host, port: port)
        CtlSupport.printLine(
            to: .standardError,
            "listening on http://\(host):\(server.port)/ (deliveries are checked with "
                + "\(secret == nil ? "NOTIFY_SIGNING_SECRET" : "--secret"); Ctrl-C stops)")
        var received = 0
        server.serve { request in
            let now = Date()
            let receipt = WebhookReceipt(
                headers: request.headers, body: request.body, signer: signer, now: Int64(now.timeIntervalSince1970))
            CtlSupport.printLine(
                to: .standardOutput,
                json
                    ? Self.jsonLine(receipt, request: request, at: now)
                    : Self.textLine(receipt, request: request, at: now))
            received += 1
            if let count, received >= count {
                // The answer still has to go out: exit right after this handler returns.
                DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { Foundation.exit(0) }
            }
            return receipt.verified ? (200, "verified\n") : (400, "not verified: \(receipt.failure?.rawValue ?? "")\n")
        }
    }

    /// `2026-12-07T02:40:01.123Z  verified  0193...  state.completed  order 0193...  POST /webhook`
    static func textLine(_ receipt: WebhookReceipt, request: LoopbackHTTPServer.Request, at date: Date) -> String {
        let outcome = receipt.verified ? "verified" : "NOT VERIFIED (\(receipt.failure?.rawValue ?? ""))"
        return [
            date.rfc3339, outcome, EventTable.oneLine(receipt.webhookId ?? "-", width: 64),
            EventTable.oneLine(receipt.scope ?? "-", width: 64),
            "order " + EventTable.oneLine(receipt.orderId ?? "-", width: 64),
            request.method + " " + EventTable.oneLine(request.target, width: 200),
        ].joined(separator: "  ")
    }

    /// The same facts as `textLine` plus the whole body (as JSON when it parses, else as text).
    static func jsonLine(_ receipt: WebhookReceipt, request: LoopbackHTTPServer.Request, at date: Date) -> String {
        let body =
            (try? JSON.parse(request.body, maxDepth: JSON.storedDepth))
            ?? .string(String(decoding: request.body, as: UTF8.self))
        let optional: (String?) -> JSON = { $0.map { .string($0) } ?? .null }
        return JSON.object([
            "receivedAt": .string(date.rfc3339), "verified": .bool(receipt.verified),
            "failure": optional(receipt.failure?.rawValue), "webhookId": optional(receipt.webhookId),
            "scope": optional(receipt.scope), "orderId": optional(receipt.orderId),
            "method": .string(request.method), "target": .string(request.target), "body": body,
        ]).serialized()
    }
}
