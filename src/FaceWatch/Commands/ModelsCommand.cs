using System.CommandLine;

namespace FaceWatch.Commands;

internal static class ModelsCommand
{
    public static Command Create()
    {
        var command = new Command("models", "Not built yet.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("facewatch models: not built yet.");
            return 2;
        });
        return command;
    }
}
