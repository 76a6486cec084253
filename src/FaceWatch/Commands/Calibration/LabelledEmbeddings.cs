using FaceWatch.Core.Imaging;

namespace FaceWatch.Commands.Calibration;

/// <summary>
/// One embedding per photo of a folder of many people (<c>person/*.jpg</c>, e.g. calibration/lfw): the face nearest
/// the image centre, at the photo's own resolution. Embedding 7,472 photos takes minutes, so the result can be kept
/// in a cache file that is only reused for the same embedding model (its SHA-256 is in the file).
/// </summary>
internal sealed record LabelledEmbeddings(string ModelId, IReadOnlyList<LabelledEmbedding> Items)
{
    private const string Magic = "facewatch-embeddings-1";

    /// <param name="people">Only these person folders (null: all).</param>
    public static LabelledEmbeddings Compute(
        FaceTools tools, string root, ProbeDegradation degradation, IProgress<(int Done, int Total)>? progress, CancellationToken ct,
        IReadOnlySet<string>? people = null)
    {
        var files = Directory.GetDirectories(root).Where(d => people is null || people.Contains(Path.GetFileName(d))).Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d, "*.jpg").Order(StringComparer.Ordinal).Select(f => (Person: Path.GetFileName(d), File: f)))
            .ToArray();
        var items = new List<LabelledEmbedding>(files.Length);
        for (var i = 0; i < files.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            var (person, file) = files[i];
            using var image = ImageLoader.Load(file, tools.Reader.MaxPixels);
            if (BenchOpenSet.EmbedCentralFace(tools, image, file) is { } native
                && (degradation.IsNone ? native : degradation.Embed(tools, image, file, native.Width)) is { } e)
            {
                items.Add(new LabelledEmbedding(person, Path.GetFileName(file), e.Embedding));
            }

            progress?.Report((i + 1, files.Length));
        }

        return new LabelledEmbeddings(tools.Embedder.Identity.ModelId, items);
    }

    /// <summary>The cached embeddings if <paramref name="path"/> holds them for <paramref name="modelId"/>, else null.</summary>
    public static LabelledEmbeddings? TryRead(string path, string modelId)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using var reader = new BinaryReader(File.OpenRead(path));
        if (reader.ReadString() != Magic || reader.ReadString() != modelId)
        {
            return null;
        }

        var count = reader.ReadInt32();
        var dimension = reader.ReadInt32();
        var items = new List<LabelledEmbedding>(count);
        for (var i = 0; i < count; i++)
        {
            var person = reader.ReadString();
            var file = reader.ReadString();
            var v = new float[dimension];
            for (var k = 0; k < dimension; k++)
            {
                v[k] = reader.ReadSingle();
            }

            items.Add(new LabelledEmbedding(person, file, v));
        }

        return new LabelledEmbeddings(modelId, items);
    }

    /// <summary>Writes the cache through a temp file and a rename, so a stopped run never leaves half a cache.</summary>
    public void Write(string path)
    {
        var temp = path + ".tmp";
        using (var writer = new BinaryWriter(File.Create(temp)))
        {
            writer.Write(Magic);
            writer.Write(ModelId);
            writer.Write(Items.Count);
            writer.Write(Items.Count == 0 ? 0 : Items[0].Embedding.Length);
            foreach (var item in Items)
            {
                writer.Write(item.Person);
                writer.Write(item.File);
                foreach (var x in item.Embedding)
                {
                    writer.Write(x);
                }
            }
        }

        File.Move(temp, path, overwrite: true);
    }
}

internal sealed record LabelledEmbedding(string Person, string File, float[] Embedding);
