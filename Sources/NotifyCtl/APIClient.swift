import ArgumentParser
import Foundation
import NotifyFoundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The Notify API as `notifyctl` calls it: the base URL, merchant and token come from the
/// environment (`NOTIFY_URL`, `NOTIFY_MERCHANT`, `NOTIFY_TOKEN`, as `scripts/run` writes them to
/// `.state/env`), so a token never has to appear on a command line. One synchronous request at a time.
struct APIClient {
    /// A response: its status and its body parsed as JSON (`nil` when empty or not JSON).
    struct Response {
        let status: Int
        let body: JSON?
    }

    let baseURL: String
    let merchant: String
    let token: String

    /// Reads the three settings; a missing one ends the command with a message that says what to set.
    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> APIClient
    {
        var missing: [String] = []
        func value(_ name: String) -> String {
            guard let value = environment[name], !value.isEmpty else {
                missing.append(name)
                return ""
            }
            return value
        }
        let client = APIClient(
            baseURL: value("NOTIFY_URL"), merchant: value("NOTIFY_MERCHANT"), token: value("NOTIFY_TOKEN"))
        if !missing.isEmpty {
            throw CtlSupport.fail(
                "set \(missing.joined(separator: ", ")) (after scripts/run: `. .state/env`)", code: 2)
        }
        return client
    }

    /// Sends one request and returns any HTTP answer; only a transport failure throws.
    func send(
        _ method: String, _ path: String, query: [(String, String)] = [], body: JSON? = nil,
        headers: [String: String] = [:]
    ) throws -> Response {
        let text = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        let queryText = query.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        guard let url = URL(string: text + path + (queryText.isEmpty ? "" : "?" + queryText)) else {
            throw CtlSupport.fail("NOTIFY_URL '\(baseURL)' is not a URL", code: 2)
        }
        var request = URLRequest(url: url, timeoutInterval: 30)
        request.httpMethod = method
        request.setValue(merchant, forHTTPHeaderField: "X-Merchant")
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body.serializedBytes)
        }
        let result = Self.perform(request)
        switch result {
        case .failure(let error):
            throw CtlSupport.fail("cannot reach \(text): \(error.localizedDescription)", code: 5)
        case .success(let (status, data)):
            return Response(
                status: status, body: data.isEmpty ? nil : try? JSON.parse(data, maxDepth: JSON.storedDepth))
        }
    }

    /// `send`, expecting `status`: any other answer ends the command with the problem's detail.
    func expect(
        _ status: Int, _ method: String, _ path: String, query: [(String, String)] = [], body: JSON? = nil,
        headers: [String: String] = [:]
    ) throws -> JSON {
        let response = try send(method, path, query: query, body: body, headers: headers)
        guard response.status == status else { throw Self.problem(response, method: method, path: path) }
        return response.body ?? .null
    }

    /// The exit for an unexpected answer: 4 for a 404 (as for the other "no such ..." errors), 1 else.
    static func problem(_ response: Response, method: String, path: String) -> ExitCode {
        let title = response.body?["title"]?.stringValue ?? "HTTP \(response.status)"
        let detail = response.body?["detail"]?.stringValue.map { ": \($0)" } ?? ""
        var hint = ""
        if response.status == 401 { hint = " (check NOTIFY_TOKEN)" }
        if response.status == 403 { hint = " (the token belongs to another merchant than NOTIFY_MERCHANT)" }
        return CtlSupport.fail(
            "\(method) \(path): \(response.status) \(title)\(detail)\(hint)", code: response.status == 404 ? 4 : 1)
    }

    /// Percent-encodes a query name or value (only unreserved characters stay as they are).
    static func escape(_ text: String) -> String {
        let unreserved = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static func perform(_ request: URLRequest) -> Result<(Int, Data), Error> {
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                box.result = .failure(error)
            } else {
                box.result = .success(((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()))
            }
            done.signal()
        }.resume()
        done.wait()
        return box.result ?? .failure(URLError(.unknown))
    }

    /// Carries the completion handler's result back to the waiting thread (the semaphore orders the accesses).
    private final class ResultBox: @unchecked Sendable {
        var result: Result<(Int, Data), Error>?
    }
}
