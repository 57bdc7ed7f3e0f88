import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * The build's (app/pom.xml, JDK 24 and later): rewrites a jar's classes compiled for Java 5 (picocli's) as Java 8
 * classes, the same code with the stack maps the verifier of Java 6 and later reads. The JVM leaves classes older
 * than Java 6 out of serve's AOT cache ("Old class has been linked"), so every start loaded and verified picocli's
 * 170 classes from its jar again. A jar with no such class is left as it is.
 *
 * <p>{@code java ClassFileUpgrade.java JAR}
 */
public final class ClassFileUpgrade {

    private static final int OLDEST_CACHED = ClassFile.JAVA_6_VERSION;

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]);
        Path upgraded = jar.resolveSibling(jar.getFileName() + ".upgrading");
        int count = 0;
        try (URLClassLoader classes = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
             JarFile in = new JarFile(jar.toFile())) {
            // the stack maps name the common supertypes of values: the JDK's classes, and the jar's own read from it
            ClassFile files = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS, ClassFile.ClassHierarchyResolverOption.of(
                    ClassHierarchyResolver.defaultResolver().orElse(ClassHierarchyResolver.ofResourceParsing(classes))));
            ClassTransform toJava8 = ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                    .andThen((builder, element) -> {
                        if (element instanceof ClassFileVersion) builder.withVersion(ClassFile.JAVA_8_VERSION, 0);
                        else builder.with(element);
                    });
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(upgraded), in.getManifest())) {
                for (JarEntry entry : Collections.list(in.entries())) {
                    if (entry.getName().equals(JarFile.MANIFEST_NAME)) continue;
                    byte[] bytes = in.getInputStream(entry).readAllBytes();
                    if (entry.getName().endsWith(".class") && !entry.getName().endsWith("module-info.class")) {
                        ClassModel model = files.parse(bytes);
                        if (model.majorVersion() < OLDEST_CACHED) {
                            bytes = files.transformClass(model, toJava8);
                            count++;
                        }
                    }
                    out.putNextEntry(new JarEntry(entry.getName()));
                    out.write(bytes);
                    out.closeEntry();
                }
            }
        }
        if (count > 0) Files.move(upgraded, jar, StandardCopyOption.REPLACE_EXISTING);
        else Files.delete(upgraded);
        System.out.println(jar.getFileName() + ": " + count + " classes older than Java 6 rewritten as Java 8");
    }
}
