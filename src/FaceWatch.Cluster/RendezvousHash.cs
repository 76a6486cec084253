using System.IO.Hashing;
using System.Text;

namespace FaceWatch.Cluster;

/// <summary>A live node as the hashing sees it: its name and its capacity weight (greater than 0).</summary>
public readonly record struct RendezvousNode(string Name, double Weight);

/// <summary>
/// Weighted rendezvous (highest random weight) hashing of cameras onto the live nodes of a site. Every node computes
/// the same owner from the same node list, whatever its order; a joining node takes about its weight's share of the
/// cameras, all of them from the others, and a leaving node's cameras spread over the rest while nobody else's move.
/// The hash is XxHash64 over UTF-8 (stable across processes, versions and platforms, unlike string.GetHashCode):
/// changing it would make nodes of different versions disagree, so a golden test pins it.
/// </summary>
public static class RendezvousHash
{
    /// <summary>
    /// The owner of <paramref name="camera"/>: <paramref name="pinnedNode"/> when that node is live, else the node of the
    /// highest score; null when no node has a positive weight.
    /// </summary>
    public static string? Owner(string camera, IReadOnlyList<RendezvousNode> nodes, string? pinnedNode = null)
    {
        ArgumentNullException.ThrowIfNull(camera);
        ArgumentNullException.ThrowIfNull(nodes);
        string? best = null;
        var bestScore = double.NegativeInfinity;
        foreach (var node in nodes)
        {
            if (pinnedNode is not null && string.Equals(node.Name, pinnedNode, StringComparison.Ordinal))
            {
                return node.Name; // a pin wins while its node is live, whatever the weights
            }

            if (!(node.Weight > 0) || !double.IsFinite(node.Weight))
            {
                continue;
            }

            var score = Score(camera, node);
            // ties (practically never) go to the ordinally smaller name, so the order of the list never matters
            if (score > bestScore || (score == bestScore && string.CompareOrdinal(node.Name, best) < 0))
            {
                best = node.Name;
                bestScore = score;
            }
        }

        return best;
    }

    /// <summary>The owner of each camera (cameras nobody can own are left out).</summary>
    public static IReadOnlyDictionary<string, string> Assign(
        IEnumerable<string> cameras, IReadOnlyList<RendezvousNode> nodes, IReadOnlyDictionary<string, string>? pins = null)
    {
        ArgumentNullException.ThrowIfNull(cameras);
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var camera in cameras)
        {
            string? pin = null;
            pins?.TryGetValue(camera, out pin);
            if (Owner(camera, nodes, pin) is { } owner)
            {
                owners[camera] = owner;
            }
        }

        return owners;
    }

    /// <summary>
    /// weight / -ln(u) with u uniform in (0, 1) from the hash of (camera, node): the node of the highest score owns the
    /// camera, and node i wins with probability weight_i / sum of weights (the weighted HRW of Schindelhauer and Schomaker).
    /// </summary>
    internal static double Score(string camera, RendezvousNode node) => node.Weight / -Math.Log(Unit(camera, node.Name));

    /// <summary>A number in the open interval (0, 1) from the hash of the pair.</summary>
    internal static double Unit(string camera, string node)
    {
        var bytes = Encoding.UTF8.GetBytes(camera + "\0" + node); // NUL cannot occur in names: ("a","bc") and ("ab","c") differ
        var hash = XxHash64.HashToUInt64(bytes);
        return ((hash >> 11) + 0.5) / (1UL << 53); // top 53 bits, centred: never 0 or 1
    }
}
