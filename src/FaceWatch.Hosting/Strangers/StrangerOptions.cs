using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace FaceWatch.Hosting.Strangers;

/// <summary>
/// Section <c>Strangers</c>: remembering people nobody enrolled. Off by default: without it nothing about a stranger is
/// kept or written anywhere. When on, the best aligned crops and embeddings of every <c>unknown</c> visit are kept in
/// <see cref="Folder"/> and grouped by face across time and cameras (docs/strangers.md).
/// </summary>
public sealed class StrangerOptions
{
    public const string SectionName = "Strangers";

    public bool Enabled { get; set; }

    /// <summary>Where the index and crops go. Empty: <c>$STATE_DIRECTORY/strangers</c> under systemd, else <c>strangers</c> in the working directory.</summary>
    public string Folder { get; set; } = "";

    /// <summary>Visits last seen longer ago than this are deleted (crops and embeddings); a group with none left goes with them.</summary>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 30;

    /// <summary>At most this many visits are kept over all groups; the oldest go first.</summary>
    [Range(1, 100_000)]
    public int MaxVisits { get; set; } = 2000;

    /// <summary>Best faces kept per visit (a group shows its best <see cref="StrangerGroups.MaxCropsPerGroup"/>).</summary>
    [Range(1, 10)]
    public int CropsPerVisit { get; set; } = 3;

    public string ResolveFolder() =>
        Path.GetFullPath(Folder.Length > 0
            ? Folder
            : Environment.GetEnvironmentVariable("STATE_DIRECTORY") is { Length: > 0 } state
                ? Path.Combine(state.Split(':')[0], "strangers")
                : "strangers");
}

/// <summary>A folder that cannot be a path; ranges are checked by the section's annotations.</summary>
public sealed class StrangerOptionsValidator : IValidateOptions<StrangerOptions>
{
    public ValidateOptionsResult Validate(string? name, StrangerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Folder.IndexOfAny(Path.GetInvalidPathChars()) >= 0 || options.Folder.Contains('\0', StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Fail($"{StrangerOptions.SectionName}:{nameof(StrangerOptions.Folder)}: '{options.Folder}' is not a valid path");
        }

        if (options.Enabled && options.Folder.Length > 0 && options.Folder.Trim().Length == 0)
        {
            return ValidateOptionsResult.Fail($"{StrangerOptions.SectionName}:{nameof(StrangerOptions.Folder)}: only spaces; leave it empty for the default folder");
        }

        return ValidateOptionsResult.Success;
    }
}
