using System.Text;
using UringKv.Storage;

namespace UringKv.Tests;

/// <summary>
/// The shard's index (open addressing with backward-shift removal) against a dictionary as the model, over random
/// adds and removes that make it grow, wrap its probe runs around the end of the table, and shift runs back.
/// </summary>
[TestFixture]
public sealed class KeyIndexTests
{
    [TestCase(1, 50)]
    [TestCase(2, 700)]
    [TestCase(3, 3_000)]
    [TestCase(4, 3_000)]
    public void RandomAddsAndRemoves_AgreeWithADictionary(int seed, int keyCount)
    {
        var random = new Random(seed);
        var index = new KeyIndex();
        var model = new Dictionary<string, KeyEntry>();
        var removed = new List<KeyEntry>();
        for (int step = 0; step < 30_000; step++)
        {
            string key = Key(random.Next(keyCount));
            if (model.TryGetValue(key, out KeyEntry? entry))
            {
                if (random.Next(3) == 0)
                {
                    // A stale entry of the same key (its delete was overtaken by a new write) is not the indexed one.
                    Assert.That(index.Remove(new KeyEntry(Bytes(key))), Is.False);
                }

                Assert.That(index.Remove(entry), Is.True, key);
                Assert.That(index.Remove(entry), Is.False, key);
                model.Remove(key);
                removed.Add(entry);
            }
            else
            {
                entry = new KeyEntry(Bytes(key));
                index.Add(entry);
                model.Add(key, entry);
            }

            if (step % 499 == 0)
            {
                Check(index, model, removed, keyCount);
            }
        }

        Check(index, model, removed, keyCount);
    }

    [Test]
    public void AddingAKeyTwice_IsRefused()
    {
        var index = new KeyIndex();
        index.Add(new KeyEntry(Bytes("a")));
        Assert.Throws<InvalidOperationException>(() => index.Add(new KeyEntry(Bytes("a"))));
        Assert.That(index.Count, Is.EqualTo(1));
    }

    [Test]
    public void Clear_EmptiesTheIndex()
    {
        var index = new KeyIndex();
        for (int i = 0; i < 1_000; i++)
        {
            index.Add(new KeyEntry(Bytes(Key(i))));
        }

        index.Clear();
        Assert.That(index.Count, Is.Zero);
        Assert.That(index.Find(Bytes(Key(5))), Is.Null);
        Assert.That(index.ToArray(), Is.Empty);
        index.Add(new KeyEntry(Bytes(Key(5))));
        Assert.That(index.Find(Bytes(Key(5)))?.Key, Is.EqualTo(Bytes(Key(5))));
    }

    private static void Check(KeyIndex index, Dictionary<string, KeyEntry> model, List<KeyEntry> removed, int keyCount)
    {
        Assert.That(index.Count, Is.EqualTo(model.Count));
        for (int i = 0; i < keyCount; i++)
        {
            string key = Key(i);
            KeyEntry? found = index.Find(Bytes(key));
            if (model.TryGetValue(key, out KeyEntry? expected))
            {
                Assert.That(found, Is.SameAs(expected), key);
                Assert.That(index.Contains(expected), Is.True, key);
            }
            else
            {
                Assert.That(found, Is.Null, key);
            }
        }

        foreach (KeyEntry gone in removed.TakeLast(50))
        {
            Assert.That(index.Contains(gone), Is.False);
        }

        KeyEntry[] all = index.ToArray();
        Assert.That(all, Has.Length.EqualTo(model.Count));
        Assert.That(all.All(e => model.TryGetValue(Encoding.UTF8.GetString(e.Key), out KeyEntry? m) && ReferenceEquals(m, e)), Is.True);
        Assert.That(index.Find(Bytes("absent")), Is.Null);
    }

    private static string Key(int i) => $"key:{i}";

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
