using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FaceWatch.Tests.Infrastructure;

/// <summary>Keeps every log line (category, level, event id, text) for assertions; also usable as an <see cref="ILoggerFactory"/>.</summary>
public sealed class CollectingLoggerProvider : ILoggerProvider, ILoggerFactory
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    public IEnumerable<LogLine> WithEvent(int eventId) => _lines.Where(l => l.EventId == eventId);

    public ILogger CreateLogger(string categoryName) => new Collector(categoryName, _lines);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public sealed record LogLine(string Category, LogLevel Level, int EventId, string Message);

    private sealed class Collector(string category, ConcurrentQueue<LogLine> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            lines.Enqueue(new LogLine(category, logLevel, eventId.Id, formatter(state, exception)));
        }
    }
}
