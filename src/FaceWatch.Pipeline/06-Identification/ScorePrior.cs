using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceWatch.Pipeline.Identification;

/// <summary>
/// Stranger and genuine open-set scores of one gallery shape, measured once per embedding model on many people:
/// galleries of <see cref="People"/> people with <see cref="FacesPerPerson"/> faces each, probes that are the mean of
/// <see cref="Evidence"/> photos of one person (1: a single photo; more: a visit's accumulated evidence).
/// <see cref="StrangerTail"/> holds the score that that share of strangers reaches, one per <see cref="ScorePrior.Rates"/>.
/// </summary>
public sealed record ScorePriorCell(
    int People, int FacesPerPerson, int Evidence, int Strangers, double StrangerMean, double StrangerSd, double[] StrangerTail,
    int Genuine, double GenuineMedian, double[] IdentifiedAt);

/// <summary>How the margin weight of <see cref="OpenSetScore"/> was chosen: identified share at 1 % and 0.1 % strangers for each weight tried.</summary>
public sealed record MarginWeightTrial(double Weight, double IdentifiedAt1Percent, double IdentifiedAtTenthPercent);

/// <summary>
/// A model-level prior for open-set calibration (issue 11): how strangers and enrolled people score against galleries
/// of many shapes, measured on a folder of many identities by <c>facewatch models calibrate</c> and stored beside the
/// embedding model's SHA-256. A gallery of a few people cannot estimate a 1 % tail by itself; it takes its threshold
/// from here and only shifts it by what its own impostor scores show (<see cref="OpenSetCalibration"/>).
/// </summary>
public sealed record ScorePrior(
    string ModelId, string ModelFile, string Source, string Probes, double MarginWeight,
    IReadOnlyList<MarginWeightTrial> MarginWeightTrials, IReadOnlyList<ScorePriorCell> Cells, DateTimeOffset CreatedAt)
{
    public const string Format = "facewatch-score-prior";
    public const int Version = 1;

    /// <summary>Shares of strangers accepted that <see cref="ScorePriorCell.StrangerTail"/> is given for.</summary>
    public static readonly double[] Rates = [0.05, 0.02, 0.01, 0.005, 0.002, 0.001];

    /// <summary>Probe evidence sizes in the prior: one photo, and means of 2, 4 and 8.</summary>
    public static readonly int[] EvidenceSizes = [1, 2, 4, 8];

    private const string ResourcePrefix = "FaceWatch.Pipeline.Models.prior.";

    /// <summary>
    /// One prior from priors of the same model measured with differently degraded probes (sharp photos, small faces):
    /// per gallery shape the highest stranger tail of any of them, so the threshold holds for each kind of probe; the
    /// stranger mean and genuine figures of the first (the photos as they are, which a gallery's own scores resemble).
    /// </summary>
    public static ScorePrior Strictest(IReadOnlyList<ScorePrior> priors)
    {
        ArgumentOutOfRangeException.ThrowIfZero(priors.Count);
        var first = priors[0];
        var cells = first.Cells.Select(c =>
        {
            var same = priors.Select(p => p.Cells.FirstOrDefault(o => o.People == c.People && o.FacesPerPerson == c.FacesPerPerson && o.Evidence == c.Evidence))
                .OfType<ScorePriorCell>().ToArray();
            return c with { StrangerTail = Rates.Select((_, i) => same.Max(o => o.StrangerTail[i])).ToArray() };
        }).ToArray();
        return first with { Probes = string.Join("; ", priors.Select(p => p.Probes)), Cells = cells };
    }

    /// <summary>One line for summaries and logs.</summary>
    public string Describe() => $"{ModelFile} prior ({Source}; probes {Probes})";

    /// <summary>
    /// The score that <paramref name="rate"/> of strangers reach against a gallery of <paramref name="people"/> people with
    /// <paramref name="facesPerPerson"/> faces each, for probes of <paramref name="evidence"/> photos. Interpolated in the
    /// logarithms of people, faces and rate between measured shapes; outside them the nearest measured one is used.
    /// </summary>
    public double StrangerTail(double people, double facesPerPerson, int evidence, double rate) =>
        Interpolate(people, facesPerPerson, evidence, c => TailAt(c, rate));

    /// <summary>Mean stranger score for that gallery shape (single photos).</summary>
    public double StrangerMean(double people, double facesPerPerson) =>
        Interpolate(people, facesPerPerson, 1, c => c.StrangerMean);

    private static readonly Lazy<ScorePrior[]> Shipped = new(() =>
    {
        var assembly = typeof(ScorePrior).Assembly;
        return assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Select(name =>
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            return Read(stream, name);
        }).ToArray();
    });

    /// <summary>The built-in prior for <paramref name="modelId"/> (shipped with FaceWatch), or null when none matches.</summary>
    public static ScorePrior? BuiltIn(string modelId) =>
        Shipped.Value.FirstOrDefault(p => string.Equals(p.ModelId, modelId, StringComparison.OrdinalIgnoreCase));

    /// <summary>The prior file next to a model (<c>MODEL.prior.json</c>) if it exists and matches the model, else the built-in one.</summary>
    public static ScorePrior? For(string modelId, string? modelPath)
    {
        if (modelPath is not null && PathFor(modelPath) is var path && File.Exists(path))
        {
            using var stream = File.OpenRead(path);
            var prior = Read(stream, path);
            if (string.Equals(prior.ModelId, modelId, StringComparison.OrdinalIgnoreCase))
            {
                return prior;
            }
        }

        return BuiltIn(modelId);
    }

    /// <summary>Where the prior of the model at <paramref name="modelPath"/> lives: beside it, <c>NAME.prior.json</c>.</summary>
    public static string PathFor(string modelPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, Path.GetFileNameWithoutExtension(modelPath) + ".prior.json");

    public static ScorePrior Read(Stream stream, string name)
    {
        PriorFile? file;
        try
        {
            file = JsonSerializer.Deserialize(stream, PriorJsonContext.Default.PriorFile);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Score prior '{name}' is not valid JSON: {ex.Message}", ex);
        }

        if (file is null || file.Format != Format || file.Version != Version || file.Cells is not { Count: > 0 } cells)
        {
            throw new InvalidDataException($"Score prior '{name}' is not a {Format} file of version {Version}.");
        }

        foreach (var c in cells)
        {
            if (c.People < 1 || c.FacesPerPerson < 1 || !EvidenceSizes.Contains(c.Evidence) || c.StrangerTail.Length != Rates.Length
                || c.StrangerTail.Any(v => !double.IsFinite(v)) || !double.IsFinite(c.StrangerMean))
            {
                throw new InvalidDataException($"Score prior '{name}' has a damaged cell ({c.People} people x {c.FacesPerPerson} faces, evidence {c.Evidence}).");
            }
        }

        return new ScorePrior(file.ModelId, file.ModelFile, file.Source, file.Probes, file.MarginWeight, file.MarginWeightTrials ?? [], cells, file.CreatedAt);
    }

    public void Write(string path)
    {
        var file = new PriorFile
        {
            Format = Format, Version = Version, ModelId = ModelId, ModelFile = ModelFile, Source = Source, Probes = Probes,
            MarginWeight = MarginWeight, MarginWeightTrials = [.. MarginWeightTrials], Cells = [.. Cells], CreatedAt = CreatedAt,
        };
        var temp = path + ".tmp";
        using (var stream = File.Create(temp))
        {
            JsonSerializer.Serialize(stream, file, PriorJsonContext.Default.PriorFile);
        }

        File.Move(temp, path, overwrite: true);
    }

    private static double TailAt(ScorePriorCell cell, double rate)
    {
        var r = Math.Clamp(rate, Rates[^1], Rates[0]);
        for (var i = 0; i < Rates.Length - 1; i++)
        {
            if (r <= Rates[i] && r >= Rates[i + 1])
            {
                var t = Math.Log(Rates[i] / r) / Math.Log(Rates[i] / Rates[i + 1]);
                return cell.StrangerTail[i] + (t * (cell.StrangerTail[i + 1] - cell.StrangerTail[i]));
            }
        }

        return cell.StrangerTail[^1];
    }

    private double Interpolate(double people, double faces, int evidence, Func<ScorePriorCell, double> value)
    {
        var e = EvidenceSizes.Where(n => n <= Math.Max(1, evidence)).Max();
        var cells = Cells.Where(c => c.Evidence == e).ToArray();
        if (cells.Length == 0)
        {
            cells = Cells.Where(c => c.Evidence == 1).ToArray();
        }

        var peopleGrid = cells.Select(c => c.People).Distinct().Order().ToArray();
        var facesGrid = cells.Select(c => c.FacesPerPerson).Distinct().Order().ToArray();
        var (p0, p1, tp) = Bracket(peopleGrid, people);
        var (f0, f1, tf) = Bracket(facesGrid, faces);
        double At(int p, int f) =>
            cells.FirstOrDefault(c => c.People == p && c.FacesPerPerson == f) is { } c ? value(c)
            : value(cells.MinBy(c => Math.Abs(Math.Log(c.People) - Math.Log(p)) + Math.Abs(Math.Log(c.FacesPerPerson) - Math.Log(f)))!);
        var low = At(p0, f0) + (tf * (At(p0, f1) - At(p0, f0)));
        var high = At(p1, f0) + (tf * (At(p1, f1) - At(p1, f0)));
        return low + (tp * (high - low));
    }

    private static (int Low, int High, double T) Bracket(int[] grid, double x)
    {
        if (x <= grid[0])
        {
            return (grid[0], grid[0], 0);
        }

        if (x >= grid[^1])
        {
            return (grid[^1], grid[^1], 0);
        }

        var i = Array.FindLastIndex(grid, g => g <= x);
        var (a, b) = (grid[i], grid[i + 1]);
        return (a, b, (Math.Log(x) - Math.Log(a)) / (Math.Log(b) - Math.Log(a)));
    }

    internal sealed class PriorFile
    {
        public string Format { get; set; } = "";

        public int Version { get; set; }

        public string ModelId { get; set; } = "";

        public string ModelFile { get; set; } = "";

        public string Source { get; set; } = "";

        public string Probes { get; set; } = "";

        public double MarginWeight { get; set; }

        public List<MarginWeightTrial>? MarginWeightTrials { get; set; }

        public List<ScorePriorCell>? Cells { get; set; }

        public DateTimeOffset CreatedAt { get; set; }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ScorePrior.PriorFile))]
internal sealed partial class PriorJsonContext : JsonSerializerContext;
