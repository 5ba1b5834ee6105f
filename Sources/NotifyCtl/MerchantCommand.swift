import ArgumentParser
import Foundation
import NotifyDomain
import NotifyFoundation
import NotifyStore

struct MerchantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merchant", abstract: "Create merchants and rotate their signing secrets.",
        subcommands: [Create.self, RotateSecret.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a merchant; prints its first token and signing secret as JSON (exit 3 if it exists).")

        @Argument(help: "Merchant id: letters, digits, '.', '_' or '-', at most 64.") var id: String

        func run() throws {
            let token = APIToken.make(randomBytes: CtlSupport.randomBytes(32))
            let secret = WebhookSignature.makeSecret(randomBytes: CtlSupport.randomBytes(24))
            let store = MerchantStore(connection: try CtlSupport.connect())
            do {
                guard try store.create(merchant: id, tokenHash: APIToken.sha256Hex(token), signingSecret: secret) else {
                    throw CtlSupport.fail("merchant '\(id)' already exists", code: 3)
                }
            } catch let error as StoreError where error.kind == .failed && error.sqlState == "23514" {
                throw CtlSupport.fail("invalid merchant id '\(id)'", code: 2)
            }
            CtlSupport.printJSON(["merchant": id, "token": token, "signingSecret": secret])
        }
    }

    struct RotateSecret: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret", abstract: "Replace a merchant's signing secret; prints the new one.")

        @Argument var id: String

        /// The old secret keeps signing next to the new one for `NOTIFY_SECRET_GRACE` seconds
        /// (default 86,400), so receivers can switch without refusing a webhook.
        func run() throws {
            let text = ProcessInfo.processInfo.environment["NOTIFY_SECRET_GRACE"] ?? ""
            guard text.isEmpty || Int(text).map({ (0...31_536_000).contains($0) }) == true else {
                throw CtlSupport.fail("NOTIFY_SECRET_GRACE must be seconds from 0 to 31536000, not '\(text)'", code: 2)
            }
            let grace = Int64(text) ?? 86_400
            let until = Timestamp.rfc3339(unixMillis: Date().unixMillis + grace * 1000)
            let secret = WebhookSignature.makeSecret(randomBytes: CtlSupport.randomBytes(24))
            guard
                try MerchantStore(connection: try CtlSupport.connect()).rotateSecret(
                    merchant: id, signingSecret: secret, previousValidUntil: until)
            else { throw CtlSupport.fail("no merchant '\(id)'", code: 4) }
            CtlSupport.printJSON(["merchant": id, "signingSecret": secret, "previousValidUntil": until])
        }
    }
}

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create and revoke API tokens.", subcommands: [Create.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create another token for a merchant.")

        @Argument var merchant: String

        func run() throws {
            let token = APIToken.make(randomBytes: CtlSupport.randomBytes(32))
            guard
                try MerchantStore(connection: try CtlSupport.connect())
                    .addToken(merchant: merchant, tokenHash: APIToken.sha256Hex(token))
            else { throw CtlSupport.fail("no merchant '\(merchant)'", code: 4) }
            CtlSupport.printJSON(["merchant": merchant, "token": token])
        }
    }

    /// The token comes on standard input (`notifyctl token revoke < token.txt`), never as an
    /// argument: arguments show in `ps`, in /proc of every local user and in shell history.
    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a token read from standard input (it answers 401 from now on).")

        func run() throws {
            guard let line = readLine(strippingNewline: true) else {
                throw CtlSupport.fail(
                    "give the token on standard input, e.g. notifyctl token revoke < token.txt", code: 2)
            }
            let token = line.trimmingASCIIWhitespace()
            guard APIToken.isWellFormed(token) else {
                throw CtlSupport.fail("that is not a well-formed token", code: 2)
            }
            guard
                try MerchantStore(connection: try CtlSupport.connect()).revokeToken(
                    tokenHash: APIToken.sha256Hex(token))
            else { throw CtlSupport.fail("no live token matches", code: 4) }
            print("revoked")
        }
    }
}
