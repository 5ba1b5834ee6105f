// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Notify",
    products: [
        .executable(name: "notify-fcgi", targets: ["FCGIHandler"]),
        .executable(name: "notify-sweep", targets: ["NotifySweep"]),
        .executable(name: "notifyctl", targets: ["NotifyCtl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(name: "CFastCGI", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "CSignals"),
        .target(name: "NotifySignals", dependencies: ["CSignals"]),
        .target(name: "NotifyFoundation"),
        .target(
            name: "NotifyDomain",
            dependencies: ["NotifyFoundation", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "NotifyLogging",
            dependencies: ["NotifyFoundation", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "NotifyStore",
            dependencies: [
                "CPostgres", "NotifyFoundation", "NotifyDomain", .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Migrations")]
        ),
        .executableTarget(
            name: "FCGIHandler",
            dependencies: [
                "CFastCGI", "NotifySignals", "NotifyFoundation", "NotifyDomain", "NotifyStore", "NotifyLogging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("openapi.json")]
        ),
        .executableTarget(
            name: "NotifySweep",
            dependencies: [
                "CCurl", "NotifySignals", "NotifyFoundation", "NotifyDomain", "NotifyStore", "NotifyLogging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "NotifyCtl",
            dependencies: [
                "NotifyFoundation", "NotifyDomain", "NotifyStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "NotifyFoundationTests", dependencies: ["NotifyFoundation"]),
        .testTarget(name: "NotifyDomainTests", dependencies: ["NotifyDomain", "NotifyFoundation"]),
        .target(
            name: "NotifyTestSupport", dependencies: ["NotifyDomain", "NotifyStore"], path: "Tests/NotifyTestSupport"),
        .testTarget(
            name: "NotifyStoreTests",
            dependencies: ["NotifyStore", "NotifyFoundation", "NotifyDomain", "NotifyTestSupport"]),
        .testTarget(
            name: "NotifySweepTests", dependencies: [
                "NotifySweep", "NotifyFoundation", "NotifyDomain", "NotifyStore", "NotifyTestSupport",
            ]),
        .testTarget(
            name: "FCGIHandlerTests", dependencies: [
                "FCGIHandler", "NotifyFoundation", "NotifyDomain", "NotifyStore", "NotifyTestSupport",
            ]),
        .testTarget(name: "NotifyFuzzTests", dependencies: ["NotifyFoundation", "NotifyDomain"]),
    ],
    // Swift 6 language mode, so complete concurrency checking, for every target of the package. The
    // processes are single-threaded (fork, libfcgi, libpq, libcurl multi); what crosses threads is
    // Sendable, and the few @unchecked Sendable classes say which lock guards them.
    swiftLanguageModes: [.v6]
)
