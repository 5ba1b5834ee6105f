import Foundation
import Logging
import NotifySignals

/// A FastCGI worker process: accepts one request at a time on the shared socket and answers it.
/// SIGTERM is blocked while a request is served, so it always finishes; an idle worker's accept
/// is interrupted and the worker exits at once.
struct Worker {
    let socket: FastCGISocket
    let config: FCGIConfig
    let logger: Logger
    let board: WorkerBoard
    let slot: Int

    func run() -> Never {
        StopSignal.ignoreBrokenPipe()
        StopSignal.catchStop(interruptingCalls: true)
        do {
            try FastCGISocket.initializeLibrary()
        } catch {
            logger.critical("\(error)")
            exit(1)
        }
        let application = Application(
            database: Database(conninfo: config.databaseURL), logger: logger, limits: config.limits)
        let connection = FastCGIConnection(socket: socket)
        while !StopSignal.isRequested {
            guard connection.accept() else { continue }
            StopSignal.deferred {
                board.mark(slot: slot, busy: true)
                serve(connection, application)
                connection.finish()
                board.mark(slot: slot, busy: false)
            }
        }
        exit(0)
    }

    private func serve(_ connection: FastCGIConnection, _ application: Application) {
        let started = Date()
        let parameters = connection.parameters()
        let response: HTTPResponse
        let merchant: String?
        var request = HTTPRequest(parameters: parameters, body: [])
        if let body = connection.readBody(limit: HTTPRequest.maxBodySize) {
            request = HTTPRequest(parameters: parameters, body: body)
            (response, merchant) = application.respond(to: request, now: started)
        } else {
            response = APIError.payloadTooLarge("the body is larger than 1 MiB").problemResponse(
                requestId: request.requestId)
            merchant = nil
        }
        var headers = response.headers
        if !request.requestId.isEmpty { headers.append(("X-Request-Id", request.requestId)) }
        connection.write(status: response.status, headers: headers, body: response.body)
        var metadata: Logger.Metadata = [
            "request.id": "\(request.requestId)",
            "http.method": "\(request.method)",
            "http.path": "\(request.path)",
            "http.status": .stringConvertible(response.status),
            "merchant": "\(merchant ?? "")",
            "duration.ms": .stringConvertible(Int(Date().timeIntervalSince(started) * 1000)),
        ]
        for field in response.logFields { metadata[field.name] = "\(field.value)" }
        logger.info("request", metadata: metadata)
    }
}
